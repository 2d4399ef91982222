// In-process service.query() vs a direct SidecarClient to the same tlm, at concurrency 32.
// Usage (after building service, its deps and tlm): node --expose-gc packages/service/bench/service.bench.mjs
// BENCH_FULL=1 for more rounds and a larger synthetic bundle.
import { execaSync } from "execa";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { SidecarClient } from "@recall/client";
import { installLocal } from "@recall/puller";
import { Service, ServiceCore } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const TLM = resolve(here, "../../tlm/bin/tlm.js");
const FULL = process.env.BENCH_FULL === "1";
const CONCURRENCY = 32;
const PER_ROUND = FULL ? 4000 : 1000;
const ROUNDS = FULL ? 30 : 14;
const SYNTHETIC = FULL ? 50_000 : 5000;
const TERMS = ["postgres", "billing", "kafka partitions", "search", "tokens refresh", "deploy", "cache", "incident", "latency", "frontend"];

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

/** Runs `total` queries with `CONCURRENCY` workers; returns q/s and latency percentiles (ms). */
async function load(call, total) {
  const lat = new Float64Array(total);
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const s = performance.now();
      const r = await call({ text: TERMS[i % TERMS.length], limit: 10 });
      lat[i] = performance.now() - s;
      if (r.class !== "ok") failures++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wall = performance.now() - t0;
  sampleRss();
  lat.sort();
  const pct = (p) => lat[Math.min(total - 1, Math.floor((p / 100) * total))];
  return { qps: (total / wall) * 1000, p50: pct(50), p99: pct(99), failures };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const work = mkdtempSync(join(tmpdir(), "rsvb-"));
const socketPath = join(work, "run", "memory.sock");
const bundleRoot = join(work, "bundles");
let service;
let direct;
try {
  const pub = join(work, "pub");
  execaSync(process.execPath, [TLM, "bundle", "build", "--synthetic", String(SYNTHETIC), "--out", pub, "--bundle-id", "bench1"]);
  const inst = await installLocal(pub, { bundleRoot });
  if (inst.outcome !== "installed") throw new Error(`install failed: ${JSON.stringify(inst)}`);

  service = new Service({
    provider: "local",
    mode: "spawn",
    socketPath,
    bundleRoot,
    tlmPath: TLM,
    readyTimeoutMs: 20_000,
    shutdownGraceMs: 2000,
    restartMax: 5,
    requestTimeoutMs: 5000,
    puller: {
      endpoint: "", apiKey: "", publicKeys: [], schemaRange: "^1.0.0", retain: 3, maxBytes: 1 << 30,
      maxUnpackedBytes: 1 << 30, downloadTimeoutMs: 60_000, minBytesPerSec: 0, allowInsecureHttp: false,
      startupDelayMs: 30_000, intervalMs: 86_400_000, jitter: 0.1,
    },
  });
  await service.start();
  const deadline = Date.now() + 30_000;
  while (service.status !== "ready") {
    if (Date.now() > deadline) throw new Error(`service not ready: ${JSON.stringify(service.snapshot())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // Same pool size as the service's own client (the client's default).
  direct = new SidecarClient({ socketPath, requestTimeoutMs: 5000 });
  const viaService = (q) => service.query(q);
  const viaClient = (q) => direct.query(q);

  // Warm-up both paths (JIT, connection pools, SQLite page cache).
  await load(viaClient, 2000);
  await load(viaService, 2000);

  const rows = { client: [], service: [] };
  for (let r = 0; r < ROUNDS; r++) {
    globalThis.gc?.();
    // Alternate the order so drift on a noisy machine hits both sides alike.
    const order = r % 2 === 0 ? ["client", "service"] : ["service", "client"];
    for (const side of order) rows[side].push(await load(side === "client" ? viaClient : viaService, PER_ROUND));
  }
  const summary = (side) => ({
    qps: median(rows[side].map((x) => x.qps)),
    p50: median(rows[side].map((x) => x.p50)),
    p99: median(rows[side].map((x) => x.p99)),
    failures: rows[side].reduce((a, x) => a + x.failures, 0),
  });
  const c = summary("client");
  const s = summary("service");
  // Each round pairs the two sides back to back: the median of the per-pair ratios cancels slow drift.
  const pairQps = median(rows.service.map((x, i) => x.qps / rows.client[i].qps));
  const pairP99 = median(rows.service.map((x, i) => x.p99 / rows.client[i].p99));

  // Not-ready path: a stopped service answers `unavailable` without I/O.
  const idle = new Service({ ...service_options_for_idle(socketPath, bundleRoot) });
  await idle.stop();
  const n = 100_000;
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await idle.query({ text: "x" });
    lat[i] = performance.now() - t;
  }
  lat.sort();

  // The service layer alone: ServiceCore over an in-memory client that answers at once,
  // vs calling that client directly — what service.query() adds per call, without socket noise.
  const layer = await layerOverhead(200_000);

  const fmt = (v, d = 1) => v.toFixed(d);
  console.log(`service.query() vs direct SidecarClient — concurrency ${CONCURRENCY}, ${ROUNDS} rounds × ${PER_ROUND} queries, ${SYNTHETIC} memories (medians over rounds)`);
  console.table([
    { path: "direct SidecarClient (baseline)", "q/s": fmt(c.qps, 0), "p50 ms": fmt(c.p50, 3), "p99 ms": fmt(c.p99, 3), failures: c.failures },
    { path: "service.query()", "q/s": fmt(s.qps, 0), "p50 ms": fmt(s.p50, 3), "p99 ms": fmt(s.p99, 3), failures: s.failures },
  ]);
  console.log(`throughput ratio service/direct (median of ${ROUNDS} paired rounds): ${fmt(pairQps, 3)}  (overhead ${fmt((1 - pairQps) * 100)} %, goal ≤ 5 %)`);
  console.log(`p99 ratio service/direct (median of ${ROUNDS} paired rounds):        ${fmt(pairP99, 3)}  (overhead ${fmt((pairP99 - 1) * 100)} %)`);
  console.log(
    `not-ready query (unavailable, no I/O): p50 ${fmt(lat[n >> 1] * 1000, 2)} µs, p99 ${fmt(lat[Math.floor(n * 0.99)] * 1000, 2)} µs over ${n} calls (goal < 1000 µs)`,
  );
  console.log(
    `service layer alone (in-memory client, ${layer.n} calls, conc ${CONCURRENCY}): direct ${fmt(layer.direct * 1000, 3)} µs/call, via ServiceCore ${fmt(layer.core * 1000, 3)} µs/call, added ${fmt((layer.core - layer.direct) * 1000, 3)} µs/call = ${fmt(((layer.core - layer.direct) / (1000 / c.qps)) * 100, 3)} % of the real per-query time (1 / direct q/s)`,
  );
  console.log(`peak RSS (bench process): ${fmt(peakRss / 1024 / 1024)} MiB`);
} finally {
  await direct?.close();
  await service?.stop();
  rmSync(work, { recursive: true, force: true });
}

async function layerOverhead(n) {
  const answer = { class: "ok", status: 200, value: { source: "sidecar", bundle_id: "b", took_ms: 0, truncated: false, evidence_quality: "indexed", results: [] } };
  const health = { class: "ok", status: 200, value: { protocol: 1, ready: true, compatibility: "compatible", bundle_id: "b", schema_version: "1.0.0", supported_schema: "^1.0.0", pid: 1, uptime_s: 1 } };
  const client = { query: async () => answer, health: async () => health, reload: async () => answer, close: async () => {} };
  const core = new ServiceCore(service_options_for_idle("/tmp/unused.sock", "/tmp/unused"), {
    parts: {
      resolveBinary: () => ({ ok: true, path: "/bin/true" }),
      createSidecar: () => { throw new Error("attach mode"); },
      createSupervisor: () => { throw new Error("attach mode"); },
      createClient: () => client,
      createPuller: () => { throw new Error("local mode"); },
      hasValidCurrent: async () => true,
      readBundleState: async () => ({ current: null, state: null }),
      recoverBundleRoot: async () => {},
    },
  });
  await core.start();
  while (core.status !== "ready") await new Promise((r) => setTimeout(r, 1));
  const time = async (call) => {
    let next = 0;
    const t0 = performance.now();
    const worker = async () => { while (next++ < n) await call({ text: "x" }); };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return (performance.now() - t0) / n;
  };
  const direct = [], viaCore = [];
  for (let r = 0; r < 5; r++) {
    direct.push(await time((q) => client.query(q, { timeoutMs: 1000 })));
    viaCore.push(await time((q) => core.query(q)));
  }
  await core.stop();
  return { n, direct: median(direct), core: median(viaCore) };
}

function service_options_for_idle(sock, root) {
  return {
    provider: "local",
    mode: "attach",
    socketPath: sock,
    bundleRoot: root,
    tlmPath: "",
    readyTimeoutMs: 1000,
    shutdownGraceMs: 0,
    restartMax: 1,
    requestTimeoutMs: 1000,
    puller: {
      endpoint: "", apiKey: "", publicKeys: [], schemaRange: "^1.0.0", retain: 3, maxBytes: 1 << 30,
      maxUnpackedBytes: 1 << 30, downloadTimeoutMs: 60_000, minBytesPerSec: 0, allowInsecureHttp: false,
      startupDelayMs: 30_000, intervalMs: 86_400_000, jitter: 0.1,
    },
  };
}
