// Benchmarks of @recall/sidecar driven by @recall/supervisor (built dist/). Run: node --expose-gc bench/sidecar.bench.mjs
// BENCH_FULL=1 for the large sizes; BENCH_PARTS=1,3 runs only some parts; BENCH_CYCLES=N overrides part 3. Figures are medians unless said otherwise; ratios are against baselines
// measured in the same run on the same machine.
import { execa } from "execa";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { probeHealth } from "@recall/client";
import { Sidecar } from "@recall/sidecar";
import { Supervisor } from "@recall/supervisor";

const FULL = process.env.BENCH_FULL === "1";
const LATENCY_RUNS = FULL ? 60 : 20;
const RESTART_RUNS = FULL ? 30 : 10;
const CYCLES = Number(process.env.BENCH_CYCLES ?? (FULL ? 200 : 50));
const FIXTURE = fileURLToPath(new URL("../test/fixtures/ready.mjs", import.meta.url));
const TLM = fileURLToPath(new URL("../../tlm/bin/tlm.js", import.meta.url));
const TLM_BUILT = existsSync(fileURLToPath(new URL("../../tlm/dist/cli.js", import.meta.url)));
const BINARY = TLM_BUILT ? TLM : FIXTURE;
const BINARY_NAME = TLM_BUILT ? "tlm (reference)" : "fixture ready.mjs (tlm not built)";

const epochMs = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f = (x, d = 1) => (typeof x === "number" ? x.toFixed(d) : String(x));
const mib = (b) => (b / 1048576).toFixed(1);
let peakRss = process.memoryUsage().rss;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

function table(title, rows) {
  console.log(`\n${title}`);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [k, r] of rows.entries()) {
    console.log(r.map((c, i) => String(c).padEnd(widths[i])).join("  "));
    if (k === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

function tmp() {
  return mkdtempSync(join(tmpdir(), "scb-"));
}

function groupGone(pgid) {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (e) {
    return e.code === "ESRCH";
  }
}
function procState(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return null;
  }
}
/** Members of group `pgid` that still run (zombies excluded: they only await reaping by init). */
function liveMembers(pgid) {
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, "utf8");
      const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[2]) === pgid && rest[0] !== "Z") out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. Ready-detection latency: fixture records when its socket starts listening (ready at once);
//    we measure from then to waitReady resolving. A random start delay (0-400 ms) samples every
//    phase of the probe schedule. Baseline: a naive "probe every 500 ms" loop, measured the same way.
async function naiveWaitReady(socketPath, child) {
  for (;;) {
    await sleep(500);
    if (child.exitCode !== null) return false;
    const r = await probeHealth(socketPath, 1000);
    if (r.class === "ok" && (r.value.ready || r.value.compatibility === "unknown")) return true;
  }
}

async function latencyRun(kind, delayMs) {
  const dir = tmp();
  const socketPath = join(dir, "run", "s.sock");
  const rec = join(dir, "listen-at");
  try {
    if (kind === "naive") {
      const child = execa(process.execPath, [FIXTURE, "--record", rec, "--delay-ms", String(delayMs), "serve", "--socket", socketPath, "--parent-pid", String(process.pid)], {
        stdio: "ignore",
        detached: true,
        reject: false,
      });
      await naiveWaitReady(socketPath, child);
      const t = epochMs();
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r)));
      return t - Number(readFileSync(rec, "utf8"));
    }
    const sc = new Sidecar({
      socketPath,
      bundleRoot: join(dir, "b"),
      binary: FIXTURE,
      extraArgs: ["--record", rec, "--delay-ms", String(delayMs)],
      watchSocket: kind === "sidecar",
    });
    await sc.spawn();
    const r = await sc.waitReady(undefined, 30_000);
    const t = epochMs();
    await sc.shutdown(1000);
    if (!r.ok) throw new Error(`fixture not ready: ${JSON.stringify(r)}`);
    return t - Number(readFileSync(rec, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchLatency() {
  const delays = Array.from({ length: LATENCY_RUNS }, (_, i) => Math.round(((i + 0.5) / LATENCY_RUNS) * 400));
  const res = { sidecar: [], schedule: [], naive: [] };
  for (const d of delays) {
    for (const kind of Object.keys(res)) res[kind].push(await latencyRun(kind, d));
    sampleRss();
  }
  const base = median(res.naive);
  table(`1. ready-detection latency (ms, ${LATENCY_RUNS} runs each, listen → waitReady resolved; goal ≤ 10 ms median)`, [
    ["method", "median", "p90", "max", "naive/method"],
    ...[
      ["Sidecar.waitReady (schedule + socket watch)", res.sidecar],
      ["Sidecar.waitReady, schedule only (watchSocket:false)", res.schedule],
      ["naive 500 ms poll (baseline)", res.naive],
    ].map(([n, xs]) => [n, f(median(xs)), f(pct(xs, 90)), f(Math.max(...xs)), `${f(base / median(xs), 1)}x`]),
  ]);
  return median(res.sidecar);
}

// ---------------------------------------------------------------------------------------------
// 2. Crash → ready again (supervisor, backoff 0) vs a plain cold start of the same binary.
async function coldStartRaw(dir, i) {
  const socketPath = join(dir, `raw${i}.sock`);
  const t0 = performance.now();
  const child = execa(process.execPath, [BINARY, "serve", "--socket", socketPath, "--bundle-root", join(dir, "b"), "--parent-pid", String(process.pid)], {
    stdio: "ignore",
    detached: true,
    reject: false,
  });
  for (;;) {
    const r = await probeHealth(socketPath, 1000);
    if (r.class === "ok") break;
    await sleep(1);
  }
  const ms = performance.now() - t0;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // gone
  }
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r)));
  return ms;
}

async function coldStartSidecar(dir, i) {
  const sc = new Sidecar({ socketPath: join(dir, `sc${i}.sock`), bundleRoot: join(dir, "b"), binary: BINARY });
  const t0 = performance.now();
  await sc.spawn();
  const r = await sc.waitReady(undefined, 30_000);
  const ms = performance.now() - t0;
  await sc.shutdown(2000);
  if (!r.ok) throw new Error("not ready");
  return ms;
}

/** Starts a supervised sidecar; `nextReady()` resolves on the next onReady. */
function supervise(dir, opts = {}) {
  const sidecar = new Sidecar({ socketPath: join(dir, "sup.sock"), bundleRoot: join(dir, "b"), binary: BINARY });
  const pids = [];
  const spawner = {
    spawn: async (s) => {
      await sidecar.spawn(s);
      pids.push(sidecar.pid);
    },
    waitReady: (s, c) => sidecar.waitReady(s, c),
    wait: () => sidecar.wait(),
    shutdown: (g) => sidecar.shutdown(g),
  };
  let onReady = null;
  const sup = new Supervisor(spawner, {
    maxAttempts: 1_000_000,
    readyTimeoutMs: 30_000,
    backoff: { initialMs: 0, maxMs: 0, factor: 2, jitter: 0 },
    shutdownGraceMs: 2000,
    onReady: () => onReady?.(),
    ...opts,
  });
  const ac = new AbortController();
  const nextReady = () => new Promise((r) => (onReady = r));
  const first = nextReady();
  const run = sup.run(ac.signal);
  return { sidecar, sup, pids, first, nextReady, stop: async () => (ac.abort(), run), socketPath: join(dir, "sup.sock") };
}

async function benchRestart() {
  const dir = tmp();
  try {
    const raw = [];
    const cold = [];
    for (let i = 0; i < RESTART_RUNS; i++) {
      raw.push(await coldStartRaw(dir, i));
      cold.push(await coldStartSidecar(dir, i));
    }
    const s = supervise(dir);
    await s.first;
    const restart = [];
    for (let i = 0; i < RESTART_RUNS; i++) {
      const next = s.nextReady();
      const t0 = performance.now();
      process.kill(s.sidecar.pid, "SIGKILL");
      await next;
      restart.push(performance.now() - t0);
      sampleRss();
    }
    await s.stop();
    const base = median(raw);
    const sc = median(cold);
    table(`2. crash → ready again vs cold start, ${BINARY_NAME} (ms, ${RESTART_RUNS} runs; goal restart ≤ 1.2x cold start)`, [
      ["what", "median", "p90", "vs raw cold", "vs Sidecar cold"],
      ["raw cold start: spawn + 1 ms health poll (baseline)", f(base), f(pct(raw, 90)), "1.00x", `${f(base / sc, 2)}x`],
      ["Sidecar cold start: spawn + waitReady (baseline)", f(sc), f(pct(cold, 90)), `${f(sc / base, 2)}x`, "1.00x"],
      ["Supervisor restart after SIGKILL (backoff 0)", f(median(restart)), f(pct(restart, 90)), `${f(median(restart) / base, 2)}x`, `${f(median(restart) / sc, 2)}x`],
    ]);
    return Math.max(median(restart) / base, median(restart) / sc);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 3. N kill -9 / restart cycles: zero orphans, zero leftover sockets, RSS of this process.
async function benchCycles() {
  const dir = tmp();
  try {
    const s = supervise(dir);
    await s.first;
    for (let i = 0; i < 3; i++) {
      // warm-up cycles: code paths loaded and JIT-compiled before the RSS baseline
      const next = s.nextReady();
      process.kill(s.sidecar.pid, "SIGKILL");
      await next;
    }
    globalThis.gc?.();
    const rssStart = process.memoryUsage().rss;
    const heapStart = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      const next = s.nextReady();
      process.kill(s.sidecar.pid, "SIGKILL");
      await next;
      sampleRss();
    }
    const perCycle = (performance.now() - t0) / CYCLES;
    globalThis.gc?.();
    const rssEnd = process.memoryUsage().rss;
    const heapEnd = process.memoryUsage().heapUsed;
    const restarts = s.sup.snapshot().restarts;
    await s.stop();
    const alive = s.pids.filter((pgid) => liveMembers(pgid).length > 0);
    // zombies of killed grandchildren (if any) are reaped by init on its own schedule; give it time
    const until = Date.now() + 10_000;
    while (Date.now() < until && !s.pids.every(groupGone)) await sleep(50);
    const groupsLeft = s.pids.filter((p) => !groupGone(p)).length;
    const leaders = s.pids.filter((p) => procState(p) !== null).length;
    const leftovers = readdirSync(dir).filter((n) => n.endsWith(".sock"));
    table(`3. ${CYCLES} kill -9 / restart cycles of ${BINARY_NAME} under Supervisor + Sidecar`, [
      ["figure", "value"],
      ["children spawned / restarts (incl. 3 warm-up cycles)", `${s.pids.length} / ${restarts}`],
      ["mean kill → ready again (ms)", f(perCycle)],
      ["orphans: groups with a live process after stop", String(alive.length)],
      ["groups still present 10 s after stop (zombies incl.)", String(groupsLeft)],
      ["leaders not reaped (zombie children of this process)", String(leaders)],
      ["leftover socket files", String(leftovers.length)],
      ["RSS start → end (MiB, after gc)", `${mib(rssStart)} → ${mib(rssEnd)} (${f(((rssEnd - rssStart) / rssStart) * 100)} %)`],
      ["heap used start → end (MiB, after gc)", `${mib(heapStart)} → ${mib(heapEnd)}`],
    ]);
    return { orphans: alive.length + leaders, leftovers: leftovers.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`@recall/sidecar bench — node ${process.version}, ${FULL ? "BENCH_FULL" : "default sizes"}, binary: ${BINARY_NAME}`);
const parts = (process.env.BENCH_PARTS ?? "1,2,3").split(",");
const latency = parts.includes("1") ? await benchLatency() : NaN;
const ratio = parts.includes("2") ? await benchRestart() : NaN;
const cycles = parts.includes("3") ? await benchCycles() : { orphans: NaN, leftovers: NaN };
sampleRss();
console.log(`\npeak RSS of the supervising process: ${mib(peakRss)} MiB`);
console.log(
  `summary: ready latency median ${f(latency)} ms (goal ≤ 10), restart/cold ${f(ratio, 2)}x (worse of the two baselines; goal ≤ 1.2), orphans ${cycles.orphans}, leftover sockets ${cycles.leftovers}`,
);
