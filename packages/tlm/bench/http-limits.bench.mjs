#!/usr/bin/env node
// Cost of tlm's HTTP layer at and below its caps: for each worst shape, size → ms per request and the sidecar's
// RSS / peak RSS (VmRSS / VmHWM of the tlm process) after the shape ran.
// Run: (cd packages/tlm && npx tsup && node bench/http-limits.bench.mjs)   BENCH_N=memories (default 10000), BENCH_REPS=requests per cell (default 40)
import { spawn, execFileSync } from "node:child_process";
import { connect } from "node:net";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle, generateCorpus } from "../dist/index.js";

const N = Number(process.env.BENCH_N ?? 10_000);
const REPS = Number(process.env.BENCH_REPS ?? 40);
const BIN = fileURLToPath(new URL("../bin/tlm.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tlm-bench-"));
const sock = join(dir, "run", "tlm.sock");
let child;

function mem(pid) {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0) / 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** Sends raw bytes, resolves with the bytes received once the server closes (a reset after a refusal is a close). */
function exchange(bytes) {
  return new Promise((resolve) => {
    const s = connect(sock);
    const chunks = [];
    s.on("data", (d) => chunks.push(d));
    s.on("error", () => undefined);
    s.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    s.once("connect", () => s.write(bytes));
  });
}

const head = (method, path, extra = []) => [`${method} ${path} HTTP/1.1`, "host: tlm", ...extra];
const post = (body, extra = []) => Buffer.from([...head("POST", "/query", ["content-type: application/json", `content-length: ${Buffer.byteLength(body)}`, ...extra, "connection: close"]), "", body].join("\r\n"));

const shapes = [
  ["nested JSON body (bytes)", [1024, 8192, 65_534], (n) => post("[".repeat(n / 2) + "]".repeat(n / 2))],
  ["one repeated token (chars)", [250, 1000, 2000], (n) => post(JSON.stringify({ text: "data ".repeat(n).slice(0, n).trim(), limit: 100 }))],
  ["entities of 200 chars (count)", [8, 16, 32], (n) => post(JSON.stringify({ text: "data store", entities: Array.from({ length: n }, (_, i) => `${"e".repeat(197)}${String(i).padStart(3, "0")}`) }))],
  ["headers (count)", [100, 500, 1000], (n) => Buffer.from([...head("GET", "/health", Array.from({ length: n }, (_, i) => `h${i}: v`)), "connection: close", "", ""].join("\r\n"))],
  ["1-byte chunks (body bytes; over 4096 pieces: 413)", [1024, 4000, 65_000], (n) => {
    const body = JSON.stringify({ text: "data store", entities: ["x".repeat(Math.max(1, n - 40))] }).slice(0, n);
    const chunks = [...body].map((c) => `1\r\n${c}\r\n`).join("");
    return Buffer.from([...head("POST", "/query", ["content-type: application/json", "transfer-encoding: chunked", "connection: close"]), "", chunks + "0\r\n\r\n"].join("\r\n"));
  }],
  ["pipelined /health (requests)", [10, 100, 1000], (n) => Buffer.from("GET /health HTTP/1.1\r\nhost: tlm\r\n\r\n".repeat(n - 1) + "GET /health HTTP/1.1\r\nhost: tlm\r\nconnection: close\r\n\r\n")],
  ["over-cap body, 413 (declared MB)", [1, 16, 1024], (n) => Buffer.from([...head("POST", "/query", ["content-type: application/json", `content-length: ${n * 1024 * 1024}`]), "", "x".repeat(4096)].join("\r\n"))],
];

try {
  const pub = join(dir, "pub");
  const t0 = performance.now();
  const built = await buildBundle({ records: generateCorpus(N, 1), outDir: pub, bundleId: "bench" });
  const bundle = join(dir, "root", "bundles", "bench");
  mkdirSync(bundle, { recursive: true });
  execFileSync("tar", ["-xzf", built.archivePath, "-C", bundle]);
  copyFileSync(built.manifestPath, join(bundle, "manifest.json"));
  symlinkSync(join("bundles", "bench"), join(dir, "root", "current"));
  console.log(`bundle: ${N} memories, built in ${Math.round(performance.now() - t0)} ms`);
  child = spawn(process.execPath, [BIN, "serve", "--socket", sock, "--bundle-root", join(dir, "root"), "--poll-interval", "0", "--log-level", "error"], { stdio: "ignore" });
  for (let i = 0; ; i++) {
    try { if ((await exchange(Buffer.from("GET /health HTTP/1.1\r\nhost: tlm\r\nconnection: close\r\n\r\n"))).includes(" 200 ")) break; } catch { /* not yet */ }
    if (i > 400) throw new Error("tlm did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = mem(child.pid);
  console.log(`tlm idle: RSS ${base.rss.toFixed(1)} MB, peak ${base.peak.toFixed(1)} MB; ${REPS} requests per cell`);
  console.log("| shape | size | ms / request | status | RSS after (MB) | peak RSS (MB) |");
  console.log("|---|---:|---:|---|---:|---:|");
  for (const [name, sizes, make] of shapes) {
    for (const n of sizes) {
      const bytes = make(n);
      let status = "";
      const start = performance.now();
      for (let r = 0; r < REPS; r++) {
        const raw = await exchange(bytes);
        status = /HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? "reset";
      }
      const ms = (performance.now() - start) / REPS;
      const m = mem(child.pid);
      console.log(`| ${name} | ${n} | ${ms.toFixed(2)} | ${status} | ${m.rss.toFixed(1)} | ${m.peak.toFixed(1)} |`);
    }
  }
} finally {
  child?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
