// Cost of the parsers of outside bytes on their worst shapes (bench/shapes.mjs):
// parseManifestJson on manifests of growing size, safeExtract on archives of
// growing scale. Each case runs in its own child process, so peak RSS is that
// case's own. A linear parser's time grows ~4× per 4× row; the failure mode
// this watches for is quadratic growth (16× per row) or an out-of-memory crash.
//   node bench/cost.bench.mjs                 (manifests 1, 4, 16 MiB; archives n = 2, 8, 32)
//   BENCH_FULL=1 node bench/cost.bench.mjs    (adds 64 MiB manifests, n = 128 archives)
import { spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const dist = join(dirname(here), "..", "dist", "index.js");

if (process.argv[2] === "--worker") {
  // The input was built by the parent and written to files: this process's peak RSS is the parser's.
  const [, , , kind, inputPath, manifestPath, expected] = process.argv;
  const { parseManifestJson, safeExtract } = await import(dist);
  let outcome;
  let ms;
  const rssBefore = process.memoryUsage().rss;
  if (kind === "manifest") {
    const bytes = await readFile(inputPath);
    const t0 = performance.now();
    const r = parseManifestJson(bytes);
    ms = performance.now() - t0;
    outcome = r.ok ? "ok" : r.rejection.reason;
  } else {
    const parsed = parseManifestJson(await readFile(manifestPath));
    if (!parsed.ok) throw parsed.rejection;
    const root = await mkdtemp(join(tmpdir(), "recall-bundle-costbench-"));
    try {
      const t0 = performance.now();
      const r = await safeExtract(createReadStream(inputPath, { highWaterMark: 64 * 1024 }), {
        dest: join(root, "d"),
        manifest: parsed.manifest,
        maxBytes: 2 ** 31,
        maxUnpackedBytes: 2 ** 33,
      });
      ms = performance.now() - t0;
      outcome = r.ok ? "ok" : r.rejection.reason;
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  if (expected && outcome !== expected) throw new Error(`expected ${expected}, got ${outcome}`);
  // VmHWM, not resourceUsage().maxRSS: the latter keeps the parent's peak across fork + exec.
  const hwm = /VmHWM:\s+(\d+) kB/.exec(await readFile("/proc/self/status", "utf8"));
  const peakMiB = hwm ? Number(hwm[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ms, peakMiB, growthMiB: peakMiB - rssBefore / 2 ** 20, outcome }));
  process.exit(0);
}

const full = Boolean(process.env.BENCH_FULL);
const { MANIFEST_SHAPES, ARCHIVE_SHAPES } = await import("./shapes.mjs");
const MiB = 2 ** 20;

const work = await mkdtemp(join(tmpdir(), "recall-bundle-costbench-in-"));

async function run(kind, name, size) {
  const input = join(work, "input");
  const manifestPath = join(work, "manifest.json");
  let expected = "";
  if (kind === "manifest") {
    await writeFile(input, MANIFEST_SHAPES[name](size));
  } else {
    const shape = ARCHIVE_SHAPES[name](size);
    await writeFile(input, shape.archive);
    await writeFile(manifestPath, JSON.stringify(shape.manifest));
    expected = shape.expect;
  }
  const r = spawnSync(process.execPath, [here, "--worker", kind, input, manifestPath, expected], {
    encoding: "utf8",
    timeout: 300_000,
  });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).split("\n").slice(-3).join(" ") };
  return JSON.parse(r.stdout);
}

async function table(title, unit, kind, shapes, sizes, label) {
  console.log(`\n${title}\n`);
  console.log(`| shape | ${sizes.map((s) => `${label(s)}: ms / peak RSS MiB (outcome)`).join(" | ")} | time growth, last 4× |`);
  console.log(`|---|${sizes.map(() => "---|").join("")}---|`);
  for (const name of Object.keys(shapes)) {
    const cells = [];
    const times = [];
    for (const size of sizes) {
      const r = await run(kind, name, unit * size);
      if (r.error) {
        cells.push(`error: ${r.error}`);
        continue;
      }
      times.push(r.ms);
      cells.push(`${r.ms.toFixed(1)} / ${r.peakMiB.toFixed(0)} (${r.outcome})`);
    }
    const growth = times.length > 1 ? `${(times.at(-1) / times.at(-2)).toFixed(1)}×` : "";
    console.log(`| ${name} | ${cells.join(" | ")} | ${growth} |`);
  }
}

console.log(`node ${process.version}, ${new Date().toISOString()}`);
await table(
  "parseManifestJson, manifest text of the given size",
  MiB,
  "manifest",
  MANIFEST_SHAPES,
  full ? [1, 4, 16, 64] : [1, 4, 16],
  (s) => `${s} MiB`,
);
await table("safeExtract, archive at scale n (see bench/shapes.mjs)", 1, "archive", ARCHIVE_SHAPES, full ? [2, 8, 32, 128] : [2, 8, 32], (s) => `n=${s}`);
await rm(work, { recursive: true, force: true });
