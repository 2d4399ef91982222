#!/usr/bin/env node
// `npm test`: nx builds, typechecks and lints (the `check` target: both from one
// TypeScript program, tools/check.mjs) and tests every project, and this
// wrapper ends the run with one plain summary line, "N passed, M failed",
// summed over every vitest run (vitest prints one "Tests" line per project).
// nx runs through execa: its output goes to our terminal as it comes and, line
// by line, to the counter; `cleanup` stops it if this process exits.
import { stripVTControlCharacters } from "node:util";
import { execa } from "execa";

const targets = process.argv.slice(2).length ? process.argv.slice(2) : ["build", "check", "test"];
const nx = execa("npx", ["nx", "run-many", "-t", ...targets, "--output-style=stream-without-prefixes"], {
  stdin: "inherit",
  stdout: ["pipe", "inherit"],
  stderr: ["pipe", "inherit"],
  all: true,
  buffer: false,
  reject: false,
  cleanup: true,
  env: { NX_DAEMON: "false", NX_NO_CLOUD: "true", ...process.env },
});
for (const s of ["SIGINT", "SIGTERM"]) process.on(s, () => nx.kill(s));

let passed = 0;
let failed = 0;
let skipped = 0;
for await (const raw of nx.iterable({ from: "all" })) {
  const line = stripVTControlCharacters(raw);
  if (!/^\s*Tests\s+/.test(line)) continue;
  passed += Number(/(\d+) passed/.exec(line)?.[1] ?? 0);
  failed += Number(/(\d+) failed/.exec(line)?.[1] ?? 0);
  skipped += Number(/(\d+) skipped/.exec(line)?.[1] ?? 0);
}
const result = await nx;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(result.exitCode ?? 1);
