// Round-trip latency and throughput of SidecarClient.query against a Unix-socket node:http
// sidecar (a child process), side by side with a raw `net` baseline writing the same HTTP
// request by hand over kept-alive connections (one per concurrent worker), serialising the
// intent per call and JSON.parse-ing the answer (no validation, no deadline). Prints p50/p99 latency, throughput and the ratio client/raw.
// Run: node --expose-gc bench/client.bench.mjs   (BENCH_FULL=1 for 4x the requests)
import { execaNode } from "execa";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { SidecarClient } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const FULL = process.env.BENCH_FULL === "1";
const ROUNDS = 3;
const PER_ROUND = { 1: FULL ? 20_000 : 5_000, 32: FULL ? 100_000 : 25_000 };
const intent = { text: "how do we deploy to production", kinds: ["decision", "fact"], limit: 10 };
// like any hand-written client, the baseline serialises the intent and frames the request per call
const frame = (intent) => {
  const b = JSON.stringify(intent);
  return `POST /query HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\naccept: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\n\r\n${b}`;
};

/** A kept-alive raw connection: sends `request`, parses status line, content-length and the JSON body. */
async function rawConnection(sock) {
  const s = connect(sock);
  await new Promise((resolve, reject) => s.once("connect", resolve).once("error", reject));
  s.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let waiting = null;
  s.on("data", (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    if (!waiting) return;
    const end = buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = buf.subarray(0, end).toString("latin1");
    const m = /content-length: *(\d+)/i.exec(head);
    const len = Number(m[1]);
    if (buf.length < end + 4 + len) return;
    const status = Number(head.slice(9, 12));
    const payload = buf.subarray(end + 4, end + 4 + len).toString("utf8");
    buf = buf.subarray(end + 4 + len);
    const w = waiting;
    waiting = null;
    w({ status, value: JSON.parse(payload) });
  });
  return {
    query() {
      return new Promise((resolve) => {
        waiting = resolve;
        s.write(frame(intent));
      });
    },
    close() {
      s.destroy();
    },
  };
}

async function measure(concurrency, total, makeWorker) {
  const workers = await Promise.all(Array.from({ length: concurrency }, () => makeWorker()));
  const lat = new Float64Array(total);
  let next = 0;
  let failures = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    workers.map(async (w) => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const s = process.hrtime.bigint();
        const r = await w.query();
        lat[i] = Number(process.hrtime.bigint() - s) / 1000;
        if (!(r.status === 200 || r.class === "ok")) failures++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const w of workers) w.close?.();
  return { lat, elapsed, total, failures };
}

function summarize(runs) {
  const all = Float64Array.from(runs.flatMap((r) => Array.from(r.lat))).sort();
  const pct = (p) => all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))];
  const n = runs.reduce((a, r) => a + r.total, 0);
  const t = runs.reduce((a, r) => a + r.elapsed, 0);
  return { p50: pct(50), p99: pct(99), rps: n / t, failures: runs.reduce((a, r) => a + r.failures, 0) };
}

const dir = mkdtempSync(join(tmpdir(), "rcb-"));
const sock = join(dir, "m.sock");
const server = execaNode(join(here, "sidecar-server.mjs"), [sock], { stdin: "ignore", stdout: "inherit", stderr: "inherit", cleanup: true, reject: false });
try {
  const exitedEarly = server.then((r) => {
    throw new Error(`bench server exited ${r.exitCode ?? r.signal}`);
  });
  exitedEarly.catch(() => undefined); // it exits at the end too, after SIGTERM
  const ready = await Promise.race([server.getOneMessage(), exitedEarly]);
  console.log(`client.bench: POST /query, answer ${ready.bytes} bytes (10 results), ${ROUNDS} interleaved rounds, node ${process.version}`);

  const clients = new Map();
  const variants = {
    raw: () => rawConnection(sock),
    client: async (c) => {
      const key = `c${c}`;
      if (!clients.has(key)) clients.set(key, new SidecarClient({ socketPath: sock, connections: c, requestTimeoutMs: 10_000 }));
      const client = clients.get(key);
      return { query: () => client.query(intent) };
    },
    "undici request() (no deadline, no zod)": async (c) => {
      const key = `u${c}`;
      if (!clients.has(key)) clients.set(key, new Pool("http://localhost", { connect: { socketPath: sock }, connections: c, pipelining: 1 }));
      const pool = clients.get(key);
      return {
        async query() {
          const r = await pool.request({ path: "/query", method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(intent) });
          return { status: r.statusCode, value: JSON.parse(await r.body.text()) };
        },
      };
    },
    "undici dispatch floor (no deadline, no zod)": async (c) => {
      const key = `d${c}`;
      if (!clients.has(key)) clients.set(key, new Pool("http://localhost", { connect: { socketPath: sock }, connections: c, pipelining: 1 }));
      const pool = clients.get(key);
      const headers = { "content-type": "application/json", accept: "application/json" };
      return {
        query: () =>
          new Promise((resolve, reject) => {
            const chunks = [];
            let status = 0;
            pool.dispatch(
              { path: "/query", method: "POST", headers, body: JSON.stringify(intent) },
              {
                onRequestStart() {},
                onResponseStart(_c, s) {
                  status = s;
                },
                onResponseData(_c, chunk) {
                  chunks.push(chunk);
                },
                onResponseEnd() {
                  resolve({ status, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
                },
                onResponseError(_c, e) {
                  reject(e);
                },
              },
            );
          }),
      };
    },
  };

  const rows = [];
  for (const c of [1, 32]) {
    // warm up every variant (JIT, connections)
    for (const make of Object.values(variants)) await measure(c, 2000, () => make(c));
    const runs = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, make] of Object.entries(variants)) {
        globalThis.gc?.();
        runs[name].push(await measure(c, PER_ROUND[c], () => make(c)));
      }
    }
    const raw = summarize(runs.raw);
    for (const name of Object.keys(variants)) {
      const s = summarize(runs[name]);
      rows.push({
        concurrency: c,
        variant: name,
        "p50 µs": s.p50.toFixed(1),
        "p99 µs": s.p99.toFixed(1),
        "req/s": Math.round(s.rps),
        "p50 ratio vs raw": (s.p50 / raw.p50).toFixed(2),
        "throughput ratio raw/x": (raw.rps / s.rps).toFixed(2),
        failures: s.failures,
      });
    }
  }
  console.table(rows);
  const c1 = rows.find((r) => r.concurrency === 1 && r.variant === "client");
  console.log(`RATIO client/raw at concurrency 1 (p50 latency): ${c1["p50 ratio vs raw"]} (goal <= 1.3)`);
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB (bench process)`);
  for (const c of clients.values()) await c.close();
} finally {
  server.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
