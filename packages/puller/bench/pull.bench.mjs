// Pull + verify + install of a large bundle from a loopback node:http server,
// side by side with `curl -s URL | tee >(sha256sum >/dev/null) | tar xz -C dir`
// on the same archive. Default 100 MB of incompressible data; BENCH_FULL=1 → 1 GB; BENCH_SIZE_MB=N → N MB.
// The puller runs in a child process so its peak RSS (VmHWM) is its own.
import { execa, execaSync } from "execa";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomFillSync } from "node:crypto";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === "child") {
  const { Puller } = await import("../dist/index.js");
  const [endpoint, bundleRoot] = process.argv.slice(3);
  const puller = new Puller({ endpoint, apiKey: "bench-key", bundleRoot, minBytesPerSec: 0 });
  const t0 = performance.now();
  const outcome = await puller.tick();
  const ms = performance.now() - t0;
  const status = (await import("node:fs")).readFileSync("/proc/self/status", "utf8");
  const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  process.stdout.write(JSON.stringify({ outcome, ms, hwmKb }));
  process.exit(0);
}

const { pack } = await import("@recall/bundle");
const SIZE = (Number(process.env.BENCH_SIZE_MB) || (process.env.BENCH_FULL === "1" ? 1024 : 100)) * 1024 * 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const work = await mkdtemp(join(tmpdir(), "puller-bench-"));

async function writeRandom(path, size) {
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let done = 0; done < size; done += chunk.length) {
    randomFillSync(chunk);
    const part = chunk.subarray(0, Math.min(chunk.length, size - done));
    if (!out.write(Buffer.from(part))) await new Promise((r) => out.once("drain", r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

try {
  const src = join(work, "src");
  await mkdir(src);
  // a few large files, as a real memories.db + side files would be
  await writeRandom(join(src, "memories.db"), Math.floor(SIZE * 0.9));
  await writeRandom(join(src, "extra.bin"), SIZE - Math.floor(SIZE * 0.9));
  const pub = join(work, "pub");
  const { manifest, manifestPath, archivePath } = await pack(src, { outDir: pub, bundleId: "b1", schemaVersion: "1.0.0" });
  await rm(src, { recursive: true });
  const archiveSize = (await stat(archivePath)).size;

  const server = createServer((req, res) => {
    const path = req.url.split("?")[0];
    const file = path.endsWith("/manifest") ? manifestPath : path.endsWith(`/${manifest.archive.path}`) ? archivePath : null;
    if (!file) return void res.writeHead(404).end();
    stat(file).then((st) => {
      res.writeHead(200, { "content-length": String(st.size) });
      createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(res);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  const archiveUrl = `${endpoint}/api/v1/memory/bundle/${manifest.archive.path}`;

  // execa rejects with a typed ExecaError (exit code, stderr) when the child fails
  const runChild = async (root) => {
    const { stdout } = await execa(process.execPath, [SELF, "child", endpoint, root], { stdin: "ignore", stderr: "inherit", cleanup: true });
    return JSON.parse(stdout);
  };
  // the puller fsyncs every file before the swap; `sync -f` gives the baseline the same durability
  const runBaseline = (dir, durable = false) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const cmd = `set -o pipefail; curl -s "$1" | tee >(sha256sum >/dev/null) | tar xz -C "$2"${durable ? ' && sync -f "$2"' : ""}`;
      execa("bash", ["-c", cmd, "bash", archiveUrl, dir], { stdio: "inherit", cleanup: true }).then(() => resolve(performance.now() - t0), reject);
    });

  // warm the page cache and the code paths once
  const warm = join(work, "warm");
  await mkdir(warm);
  await runBaseline(warm);
  await rm(warm, { recursive: true });

  const base = [];
  const baseSync = [];
  const pull = [];
  let hwmKb = 0;
  for (let i = 0; i < RUNS; i++) {
    const dir = join(work, `curl-${i}`);
    await mkdir(dir);
    base.push(await runBaseline(dir));
    await rm(dir, { recursive: true });
    await mkdir(dir);
    baseSync.push(await runBaseline(dir, true));
    await rm(dir, { recursive: true });
    const root = join(work, `root-${i}`);
    const r = await runChild(root);
    if (r.outcome.outcome !== "installed") throw new Error(`pull failed: ${JSON.stringify(r.outcome)}`);
    pull.push(r.ms);
    hwmKb = Math.max(hwmKb, r.hwmKb);
    await rm(root, { recursive: true });
  }
  server.close();
  const mb = archiveSize / 1e6;
  const baseMBs = mb / (median(base) / 1000);
  const pullMBs = mb / (median(pull) / 1000);
  const syncMBs = mb / (median(baseSync) / 1000);
  const cpu = execaSync("nproc").stdout.trim();
  console.log(`puller bench: archive ${mb.toFixed(0)} MB (incompressible), ${RUNS} runs each, median, ${cpu} cores`);
  console.table([
    { what: "curl | tee >(sha256sum) | tar xz", "MB/s": baseMBs.toFixed(1), "ms": median(base).toFixed(0), "peak RSS MB": "-" },
    { what: "same + sync -f (durable like the puller)", "MB/s": syncMBs.toFixed(1), "ms": median(baseSync).toFixed(0), "peak RSS MB": "-" },
    { what: "Puller.tick (verify + install)", "MB/s": pullMBs.toFixed(1), "ms": median(pull).toFixed(0), "peak RSS MB": (hwmKb / 1024).toFixed(1) },
  ]);
  console.log(`RATIO puller/baseline throughput: ${(pullMBs / baseMBs).toFixed(2)}x (goal >= 0.8)`);
  console.log(`RATIO puller/durable baseline throughput: ${(pullMBs / syncMBs).toFixed(2)}x`);
  console.log(`peak RSS of the pulling process: ${(hwmKb / 1024).toFixed(1)} MB (goal < 150 MB)`);
} finally {
  await rm(work, { recursive: true, force: true });
}
