#!/usr/bin/env node
// `npm test`: nx builds, typechecks, lints and tests every project, and this
// wrapper ends the run with one plain summary line, "N passed, M failed",
// summed over every vitest run (vitest prints one "Tests" line per project).
import { spawn } from "node:child_process";

const targets = process.argv.slice(2).length ? process.argv.slice(2) : ["build", "typecheck", "lint", "test"];
const child = spawn("npx", ["nx", "run-many", "-t", ...targets, "--output-style=stream-without-prefixes"], {
  stdio: ["inherit", "pipe", "pipe"],
  env: { NX_DAEMON: "false", NX_NO_CLOUD: "true", ...process.env },
});
let passed = 0;
let failed = 0;
let skipped = 0;
let pending = "";
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
function scan(chunk, final = false) {
  pending += chunk;
  const lines = pending.split("\n");
  pending = final ? "" : lines.pop();
  for (const raw of lines) {
    const line = strip(raw);
    if (!/^\s*Tests\s+/.test(line)) continue;
    passed += Number(/(\d+) passed/.exec(line)?.[1] ?? 0);
    failed += Number(/(\d+) failed/.exec(line)?.[1] ?? 0);
    skipped += Number(/(\d+) skipped/.exec(line)?.[1] ?? 0);
  }
}
child.stdout.on("data", (c) => {
  process.stdout.write(c);
  scan(c.toString());
});
child.stderr.on("data", (c) => {
  process.stderr.write(c);
  scan(c.toString());
});
child.on("exit", (code, signal) => {
  scan("", true);
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exit(code ?? (signal ? 1 : 0));
});
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => child.kill(s));
