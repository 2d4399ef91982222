// safeExtract throughput vs `tar xzf` on the same archive, each in its own
// child process so peak RSS is the extractor's own.
//   node bench/extract.bench.mjs            (100 MB archive)
//   BENCH_SIZE_MB=500 node bench/extract.bench.mjs, or BENCH_FULL=1 (1000 MB)
import { execaSync } from "execa";
import { randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const dist = join(dirname(here), "..", "dist", "index.js");

if (process.argv[2] === "--worker") {
  const { safeExtract, parseManifestJson } = await import(dist);
  const [, , , manifestPath, archivePath, dest] = process.argv;
  const parsed = parseManifestJson(await readFile(manifestPath));
  const t0 = performance.now();
  const r = await safeExtract(createReadStream(archivePath, { highWaterMark: 256 * 1024 }), {
    dest,
    manifest: parsed.manifest,
    maxBytes: 16 * 2 ** 30,
    maxUnpackedBytes: 64 * 2 ** 30,
  });
  const ms = performance.now() - t0;
  if (!r.ok) throw r.rejection;
  process.stdout.write(JSON.stringify({ ms, rssKiB: process.resourceUsage().maxRSS }));
  process.exit(0);
}

const sizeMb = Number(process.env.BENCH_SIZE_MB ?? (process.env.BENCH_FULL ? 1000 : 100));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const { pack } = await import(dist);
const root = await mkdtemp(join(tmpdir(), "recall-bundle-bench-"));
const hasGnuTime = execaSync("/usr/bin/time", ["-f", "%M", "true"], { reject: false }).exitCode === 0;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

try {
  // Random data so the archive itself is ~sizeMb (incompressible), in 256 KiB files.
  const src = join(root, "src");
  const fileSize = 256 * 1024;
  const count = Math.ceil((sizeMb * 2 ** 20) / fileSize);
  for (let i = 0; i < count; i++) {
    const p = join(src, `d${String(i % 16).padStart(2, "0")}`, `f${String(i).padStart(6, "0")}.bin`);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, randomBytes(fileSize));
  }
  const { manifestPath, archivePath, manifest } = await pack(src, {
    outDir: join(root, "pub"),
    bundleId: "bench",
    schemaVersion: "1.0.0",
  });
  await rm(src, { recursive: true, force: true });
  const archiveMb = manifest.archive.size / 2 ** 20;

  const safe = [];
  const tar = [];
  const tarSync = [];
  for (let i = 0; i < runs; i++) {
    const dest = join(root, `safe-${i}`);
    const { stdout } = execaSync(process.execPath, [here, "--worker", manifestPath, archivePath, dest]);
    safe.push(JSON.parse(stdout));
    await rm(dest, { recursive: true, force: true });

    const tdest = join(root, `tar-${i}`);
    await mkdir(tdest);
    const t0 = performance.now();
    const res = hasGnuTime
      ? execaSync("/usr/bin/time", ["-f", "%M", "tar", "xzf", archivePath, "-C", tdest], { reject: false })
      : execaSync("tar", ["xzf", archivePath, "-C", tdest], { reject: false });
    const ms = performance.now() - t0;
    if (res.exitCode !== 0) throw new Error(`tar failed: ${res.stderr}`);
    const rssKiB = hasGnuTime ? Number(res.stderr.trim().split("\n").at(-1)) : NaN;
    tar.push({ ms, rssKiB });
    await rm(tdest, { recursive: true, force: true });

    // Same, made durable: `sync -f` flushes the filesystem holding the output.
    const sdest = join(root, `tarsync-${i}`);
    await mkdir(sdest);
    const s0 = performance.now();
    const sres = execaSync("sh", ["-c", 'tar xzf "$1" -C "$2" && sync -f "$2"', "sh", archivePath, sdest], { reject: false });
    if (sres.exitCode !== 0) throw new Error(`tar+sync failed: ${sres.stderr}`);
    tarSync.push({ ms: performance.now() - s0 });
    await rm(sdest, { recursive: true, force: true });
  }

  const sMs = median(safe.map((r) => r.ms));
  const tMs = median(tar.map((r) => r.ms));
  const row = (name, ms, rss) => ({
    extractor: name,
    "median ms": Math.round(ms),
    "MB/s (archive)": Number((archiveMb / (ms / 1000)).toFixed(1)),
    "peak RSS MiB": Number.isFinite(rss) ? Number((rss / 1024).toFixed(1)) : "n/a",
  });
  console.log(`archive ${archiveMb.toFixed(1)} MiB, ${manifest.files.length} files, ${runs} runs each (median)`);
  console.table([
    row("safeExtract (verify + fsync every file)", sMs, Math.max(...safe.map((r) => r.rssKiB))),
    row("tar xzf (baseline, no fsync)", tMs, Math.max(...tar.map((r) => r.rssKiB))),
    row("tar xzf && sync -f (durable baseline)", median(tarSync.map((r) => r.ms)), NaN),
  ]);
  console.log(`ratio safeExtract / tar xzf = ${(sMs / tMs).toFixed(2)}x time`);
  console.log(`ratio safeExtract / (tar xzf && sync -f) = ${(sMs / median(tarSync.map((r) => r.ms))).toFixed(2)}x time`);
} finally {
  await rm(root, { recursive: true, force: true });
  if (existsSync(root)) console.error(`could not remove ${root}`);
}
