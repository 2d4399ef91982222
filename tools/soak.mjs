#!/usr/bin/env node
// `npm run soak` (after `npm run build`): the long variants, one after another.
//   - e2e with E2E_SOAK=1: 200 sidecar kills, 50 daemon deaths, 1 000 q/s reload
//     under load for 60 s, 5 000 protocol-fuzz requests; their summary lines print
//     the timing and memory ratios that the fast suite does not assert;
//   - the packages' fuzz tests with generous run counts: @recall/bundle
//     (RECALL_SOAK=1: 40x its normal runs), @recall/tlm's raw-HTTP fuzz and
//     @recall/sidecar's output line splitter (FUZZ_RUNS, default 20 000 here;
//     SOAK_FUZZ_RUNS overrides).
// FC_SEED / E2E_SEED replay a run; each suite prints its seed on failure.
// SOAK_ONLY=word runs only the parts whose name contains it (e.g. SOAK_ONLY=fuzz).
// Exits non-zero if any part failed; ends with one line per part.
import { execa } from "execa";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FUZZ_RUNS = process.env.SOAK_FUZZ_RUNS ?? "20000";
const LONG = ["--testTimeout=3600000", "--hookTimeout=600000"];

const parts = [
  { name: "e2e (E2E_SOAK=1)", cwd: "e2e", args: ["vitest", "run", ...LONG], env: { E2E_SOAK: "1" } },
  {
    name: "@recall/bundle fuzz (RECALL_SOAK=1)",
    cwd: "packages/bundle",
    args: ["vitest", "run", "src/__tests__/manifest-fuzz.test.ts", "test/integration/fuzz-extract.test.ts", ...LONG],
    env: { RECALL_SOAK: "1" },
  },
  {
    name: `@recall/tlm HTTP fuzz (FUZZ_RUNS=${FUZZ_RUNS})`,
    cwd: "packages/tlm",
    args: ["vitest", "run", "test/integration/http-fuzz.test.ts", ...LONG],
    env: { FUZZ_RUNS },
  },
  {
    name: `@recall/sidecar line splitter (FUZZ_RUNS=${FUZZ_RUNS})`,
    cwd: "packages/sidecar",
    args: ["vitest", "run", "src/__tests__/line-splitter.test.ts", ...LONG],
    env: { FUZZ_RUNS },
  },
];

const only = process.env.SOAK_ONLY;
const results = [];
for (const part of parts.filter((p) => !only || p.name.includes(only))) {
  process.stderr.write(`\n== soak: ${part.name}\n`);
  const t0 = performance.now();
  // output straight to the terminal; cleanup stops the run if this process exits
  const r = await execa("npx", part.args, {
    cwd: join(ROOT, part.cwd),
    env: { RECALL_SOAK: "1", ...part.env },
    stdio: "inherit",
    reject: false,
    cleanup: true,
  });
  results.push({ name: part.name, ok: r.exitCode === 0, code: r.exitCode ?? r.signal, s: (performance.now() - t0) / 1000 });
}
console.log("\nsoak summary:");
for (const r of results) console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.name} (${r.s.toFixed(0)} s${r.ok ? "" : `, exit ${r.code}`})`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
