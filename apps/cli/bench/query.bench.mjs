#!/usr/bin/env node
// End-to-end `recall query` (a new process each time) vs `node -e 0` (the
// runtime's start-up floor) vs `curl --unix-socket` (no runtime at all),
// against the same real tlm sidecar. Runs interleaved so machine noise hits
// all three alike. N=30 by default (BENCH_N to change; BENCH_FULL=1 → 100).
import { execa, execaSync } from "execa";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "node:http";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const recall = join(repo, "apps/cli/bin/recall.js");
const tlm = join(repo, "packages/tlm/bin/tlm.js");
const N = Number(process.env.BENCH_N ?? (process.env.BENCH_FULL === "1" ? 100 : 30));
const node = process.execPath;

const tmp = mkdtempSync(join(tmpdir(), "rqb-"));
const sock = join(tmp, "run", "memory.sock");
const root = join(tmp, "root");
const env = {
  ...process.env,
  HOME: tmp,
  XDG_CONFIG_HOME: join(tmp, "config"),
  XDG_CACHE_HOME: join(tmp, "cache"),
  RECALL_MEMORY_SOCKET_PATH: sock,
  RECALL_MEMORY_BUNDLE_ROOT: root,
  NO_COLOR: "1",
};
delete env.RECALL_CONFIG;
let sidecar;

function run(cmd, args, opts = {}) {
  const r = execaSync(cmd, args, { env, extendEnv: false, reject: false, ...opts });
  if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

function health() {
  return new Promise((res) => {
    const req = request({ socketPath: sock, path: "/health", agent: false }, (r) => {
      let b = "";
      r.on("data", (c) => (b += c));
      r.on("end", () => res(r.statusCode === 200 && JSON.parse(b).ready === true));
    });
    req.on("error", () => res(false));
    req.end();
  });
}

// CPU time (perf's task-clock: every thread of the child) next to wall time: on a shared,
// overloaded machine wall time mostly measures the queue for a core; CPU time does not.
const perf = process.env.BENCH_CPU !== "0" && spawnSync("perf", ["stat", "-x,", "-e", "task-clock", "true"]).status === 0;
const cpu = {};

function time(cmd, args, extraEnv, label) {
  const out = join(tmp, "perf.txt");
  const [c, a] = perf ? ["perf", ["stat", "-x,", "-e", "task-clock", "-o", out, "--", cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { env: extraEnv ? { ...env, ...extraEnv } : env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(" ")} exited ${r.status}: ${r.stderr}`);
  if (perf && label) {
    const line = readFileSync(out, "utf8").split("\n").find((l) => l.includes("task-clock"));
    (cpu[label] ??= []).push(Number(line.split(",")[0]));
  }
  return ms;
}

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

try {
  const pub = join(tmp, "pub");
  run(node, [tlm, "bundle", "build", "--from", join(repo, "examples/memories.jsonl"), "--out", pub]);
  run(node, [recall, "bundle", "install", pub]);
  sidecar = execa(node, [tlm, "serve", "--socket", sock, "--bundle-root", root], { env, extendEnv: false, stdio: "ignore", cleanup: true, reject: false });
  const deadline = Date.now() + 20_000;
  while (!(await health())) {
    if (Date.now() > deadline) throw new Error("tlm did not get ready");
    await new Promise((r) => setTimeout(r, 50));
  }
  const body = JSON.stringify({ text: "postgres connection storms", limit: 5 });
  const hasCurl = execaSync("curl", ["--version"], { reject: false }).exitCode === 0;
  // The floor of any Node client: an ESM script doing the same POST with node:http and printing it;
  // and a CommonJS one over node:net (what recall's fast path does, minus its work).
  const minimal = `import{request}from"node:http";const q=request({socketPath:${JSON.stringify(sock)},path:"/query",method:"POST",agent:false,headers:{"content-type":"application/json"}},r=>{let b="";r.on("data",c=>b+=c);r.on("end",()=>{process.stdout.write(b);process.exit(0)})});q.end(${JSON.stringify(body)});`;
  const netMinimal = `const s=require("node:net").connect(${JSON.stringify(sock)},()=>s.write("POST /query HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: "+Buffer.byteLength(${JSON.stringify(body)})+"\\r\\nConnection: close\\r\\n\\r\\n"+${JSON.stringify(body)}));let b="";s.on("data",c=>b+=c);s.on("end",()=>{process.stdout.write(b);process.exit(0)});`;
  const cases = {
    "node -e 0": [node, ["-e", "0"]],
    "node: bare http POST (ESM)": [node, ["--input-type=module", "-e", minimal]],
    "node: bare net POST (CJS)": [node, ["-e", netMinimal]],
    "recall query": [node, [recall, "query", "postgres connection storms", "--limit", "5"]],
    "recall query --json": [node, [recall, "query", "postgres connection storms", "--limit", "5", "--json"]],
    "recall query, config cache off": [node, [recall, "query", "postgres connection storms", "--limit", "5"], { RECALL_CLI_NO_CACHE: "1" }],
    "recall --help": [node, [recall, "--help"]],
    ...(hasCurl ? { "curl --unix-socket": ["curl", ["-sf", "--unix-socket", sock, "http://x/query", "-H", "content-type: application/json", "-d", body]] } : {}),
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const [cmd, args, e] of Object.values(cases)) time(cmd, args, e); // warm: page cache, config cache
  for (let i = 0; i < N; i++) for (const [k, [cmd, args, e]] of Object.entries(cases)) samples[k].push(time(cmd, args, e, k));
  const base = q(samples["node -e 0"], 0.5);
  const rows = Object.entries(samples).map(([k, xs]) => ({
    case: k,
    "median ms": q(xs, 0.5).toFixed(1),
    "p90 ms": q(xs, 0.9).toFixed(1),
    "× node -e 0 (median)": (q(xs, 0.5) / base).toFixed(2),
    ...(cpu[k] ? { "cpu ms (median)": q(cpu[k], 0.5).toFixed(1), "cpu × node -e 0": (q(cpu[k], 0.5) / q(cpu["node -e 0"], 0.5)).toFixed(2) } : {}),
  }));
  console.log(`recall query end-to-end, N=${N} per case, interleaved (node ${process.version}, ${existsSync("/proc/loadavg") ? "load " + (await import("node:fs")).readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ") : ""})`);
  console.table(rows);
  const ratio = q(samples["recall query"], 0.5) / base;
  console.log(`RATIO recall query / node -e 0 (median): ${ratio.toFixed(2)} (goal <= 1.30)`);
  if (perf) console.log(`RATIO recall query / node -e 0 (median CPU time): ${(q(cpu["recall query"], 0.5) / q(cpu["node -e 0"], 0.5)).toFixed(2)}`);
  if (samples["curl --unix-socket"]) console.log(`RATIO recall query / curl --unix-socket (median): ${(q(samples["recall query"], 0.5) / q(samples["curl --unix-socket"], 0.5)).toFixed(1)}`);
} finally {
  if (sidecar && sidecar.exitCode === null) {
    sidecar.kill("SIGTERM");
    await new Promise((r) => sidecar.once("exit", r));
  }
  rmSync(tmp, { recursive: true, force: true });
}
