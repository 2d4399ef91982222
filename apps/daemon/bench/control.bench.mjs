// Control socket cost by request size: recalld's ControlServer (caps: docs/SECURITY.md) side by
// side with a baseline node:http server on the same kind of socket that drains every body (what
// the control socket did before the caps). Each server runs in its own child process, so the peak
// RSS column is the server's alone. Run after `npm run build`:
//   node apps/daemon/bench/control.bench.mjs            (sizes up to 256 MiB)
//   BENCH_MAX_MB=64 node apps/daemon/bench/control.bench.mjs
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === "serve") {
  // child: one server, reports its peak RSS on request
  const [, , , kind, socketPath] = process.argv;
  if (kind === "recalld") {
    const { ControlServer, DaemonMetrics } = await import("../dist/index.js");
    const target = {
      snapshot: () => ({ status: "ready", sidecar: { restarts: 0 }, bundle: { bundle_id: null, schema_version: null } }),
      pullNow: async () => ({ outcome: "unchanged" }),
      query: async () => ({ class: "ok", envelope: { results: [] } }),
    };
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    await new ControlServer({ socketPath, target, metrics: new DaemonMetrics({ defaultMetrics: false }), logger: silent }).listen();
  } else {
    const http = await import("node:http");
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const size = chunks.reduce((n, c) => n + c.length, 0);
        res.writeHead(size > 64 * 1024 ? 413 : 200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise((r) => server.listen(socketPath, r));
  }
  process.on("message", (m) => {
    if (m === "rss") process.send({ maxRssKiB: process.resourceUsage().maxRSS });
  });
  process.send("ready");
} else {
  await main();
}

/** Sends `size` bytes of body (chunked) to POST /query; resolves with ms until the server closed, and the status. */
function oneRequest(socketPath, size) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect(socketPath);
    let response = "";
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    sock.on("data", (c) => (response += c.toString("latin1")));
    sock.on("error", () => {});
    sock.on("close", () => resolve({ ms: performance.now() - t0, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0), written }));
    sock.on("connect", () => {
      sock.write("POST /query HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
      const pump = () => {
        while (written < size && !sock.destroyed) {
          const n = Math.min(chunk.length, size - written);
          written += n;
          const ok = sock.write(Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), chunk.subarray(0, n), Buffer.from("\r\n")]));
          if (!ok) return void sock.once("drain", pump);
        }
        if (!sock.destroyed) sock.write("0\r\n\r\n");
      };
      pump();
    });
  });
}

async function startServer(kind, dir) {
  const socketPath = join(dir, `${kind}.sock`);
  const child = fork(SELF, ["serve", kind, socketPath], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  await new Promise((r) => child.once("message", r));
  const rss = () => new Promise((r) => { child.once("message", (m) => r(m.maxRssKiB)); child.send("rss"); });
  return { socketPath, rss, stop: () => child.kill("SIGKILL") };
}

async function main() {
  const maxMb = Number(process.env.BENCH_MAX_MB ?? 256);
  const sizes = [1024, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024, 64 * 1024 * 1024, 256 * 1024 * 1024].filter((s) => s <= maxMb * 1024 * 1024);
  const dir = mkdtempSync(join(tmpdir(), "rdb-"));
  const label = (n) => (n >= 1048576 ? `${n / 1048576} MiB` : `${n / 1024} KiB`);
  const servers = { recalld: await startServer("recalld", dir), baseline: await startServer("baseline", dir) };
  const rows = [];
  try {
    for (const size of sizes) {
      const row = { size: label(size) };
      for (const [name, s] of Object.entries(servers)) {
        const times = [];
        let last;
        for (let i = 0; i < 3; i++) {
          last = await oneRequest(s.socketPath, size);
          times.push(last.ms);
        }
        times.sort((a, b) => a - b);
        row[name] = { ms: times[1], status: last.status, sentMiB: last.written / 1048576, peakRssMiB: (await s.rss()) / 1024 };
      }
      rows.push(row);
    }
  } finally {
    servers.recalld.stop();
    servers.baseline.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log("POST /query body size → median of 3 (ms until the server answered and closed), status, MiB the client got to send, server peak RSS so far");
  console.log("| body | recalld ms | status | sent MiB | peak RSS MiB | baseline (drains) ms | status | sent MiB | peak RSS MiB | time ratio |");
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const a = r.recalld;
    const b = r.baseline;
    console.log(`| ${r.size} | ${a.ms.toFixed(1)} | ${a.status} | ${a.sentMiB.toFixed(1)} | ${a.peakRssMiB.toFixed(0)} | ${b.ms.toFixed(1)} | ${b.status} | ${b.sentMiB.toFixed(1)} | ${b.peakRssMiB.toFixed(0)} | ${(a.ms / b.ms).toFixed(3)} |`);
  }
}
