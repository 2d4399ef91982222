#!/usr/bin/env node
// Runs every project's benchmark (bench/*.bench.mjs or bench/index.mjs under packages/* and apps/*),
// one after another so they do not compete for the machine's two cores.
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";

const only = process.argv.slice(2);
const roots = ["packages", "apps", "bench"];
const found = [];
for (const root of roots) {
  if (!existsSync(root)) continue;
  if (root === "bench") {
    for (const f of readdirSync(root).filter((f) => f.endsWith(".bench.mjs")).sort()) found.push(join(root, f));
    continue;
  }
  for (const p of readdirSync(root).sort()) {
    const dir = join(root, p, "bench");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".bench.mjs")).sort()) found.push(join(dir, f));
  }
}
const selected = only.length ? found.filter((f) => only.some((o) => f.includes(o))) : found;
if (selected.length === 0) {
  console.log("no benchmarks yet");
  process.exit(0);
}
let failed = 0;
for (const f of selected) {
  console.log(`\n=== ${f} ===`);
  const r = await execa(process.execPath, ["--expose-gc", f], { stdio: "inherit", reject: false, cleanup: true });
  if (r.failed) {
    failed++;
    console.error(`${f}: ${r.shortMessage}`);
  }
}
process.exit(failed ? 1 : 0);
