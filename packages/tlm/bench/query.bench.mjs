// Lexical query cost per query class, against FTS5's full bm25 ranking on the same database, in one run.
// Run: (cd packages/tlm && npx tsup && node bench/query.bench.mjs); BENCH_FULL=1 adds 1M memories.
// Env: BENCH_SIZES=20000,100000 (overrides), BENCH_QUERIES (per class, default 300),
//      BENCH_BASELINE_QUERIES (per class, default 100: the full-bm25 baseline is slow at 1M), BENCH_SOCKET=0 skips the socket part,
//      BENCH_EMBED=1 builds the bundle with the offline default's vectors, so the socket part measures hybrid queries
//      (the in-process part is the lexical ranking either way).
import { execa, execaSync } from "execa";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { connect } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { socketPaired } from "./socket-floor.mjs";
import Database from "better-sqlite3";
import {
  buildBundle, corpusVocabulary, DEFAULT_ZIPF_S, generateCorpus, MemoryDatabase, seededRandom, StaticWordEmbedder, tokenize, zipfSampler,
} from "../dist/index.js";

const BIN = fileURLToPath(new URL("../bin/tlm.js", import.meta.url));
const SIZES = process.env.BENCH_SIZES
  ? process.env.BENCH_SIZES.split(",").map(Number)
  : [100_000, ...(process.env.BENCH_FULL === "1" ? [1_000_000] : [])];
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);
const BASELINE_QUERIES = Number(process.env.BENCH_BASELINE_QUERIES ?? 100);
const SOCKET = process.env.BENCH_SOCKET !== "0";
const EMBED = process.env.BENCH_EMBED === "1";
const LIMIT = 10;
const work = mkdtempSync(join(tmpdir(), "tlm-bench-"));
const children = new Set();
process.on("exit", () => { for (const c of children) c.kill("SIGKILL"); rmSync(work, { recursive: true, force: true }); });

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const median = (xs) => pct(xs, 50);

// Query classes, drawn from the corpus's own Zipf vocabulary (rank order: the first words are in most memories).
const vocab = corpusVocabulary(1);
const rand = seededRandom(99);
const zipf = zipfSampler(vocab.length, DEFAULT_ZIPF_S, rand);
const words = (n, draw) => Array.from({ length: n }, draw).join(" ");
const oneToFour = () => 1 + Math.floor(rand() * 4);
const CLASSES = {
  // 1–4 words from the corpus distribution: the mix.
  zipf: () => words(oneToFour(), () => vocab[zipf()]),
  // 1–4 words outside the top 1000.
  rare: () => words(oneToFour(), () => vocab[1000 + Math.floor(rand() * (vocab.length - 1000))]),
  // 1–4 words of the top 20 (each in 25–95 % of memories).
  "all-common": () => words(oneToFour(), () => vocab[Math.floor(rand() * 20)]),
  // The single most common word.
  "top-1": () => vocab[0],
  // 32 distinct words from the corpus distribution.
  long: () => { const s = new Set(); while (s.size < 32) s.add(vocab[zipf()]); return [...s].join(" "); },
};

function baselineStatement(db) {
  // The old engine's ranking: FTS5 bm25 over every match of the OR of the words.
  return db.prepare(`SELECT rowid, -bm25(memories_fts, 1, 2) AS score FROM memories_fts WHERE memories_fts MATCH ?
    ORDER BY bm25(memories_fts, 1, 2), rowid LIMIT ${LIMIT}`);
}
const matchOf = (text) => tokenize(text).map((w) => `"${w}"`).join(" OR ");

function healthOnce(sock) {
  return new Promise((resolve) => {
    const s = connect(sock);
    s.once("error", () => resolve(false));
    s.once("connect", () => {
      s.write("GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
      let buf = "";
      s.on("data", (d) => { buf += d; });
      s.once("end", () => resolve(/"ready":true/.test(buf)));
    });
  });
}

function spawnTlm(sock, root) {
  const child = execa(process.execPath, [BIN, "serve", "--socket", sock, "--bundle-root", root, "--poll-interval", "0", "--log-level", "warn"], { stdio: "ignore", cleanup: true, reject: false });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
}

async function waitReady(sock) {
  while (!(await healthOnce(sock))) await new Promise((r) => setTimeout(r, 2));
}

async function coldStart(sock, root) {
  const t0 = performance.now();
  const child = spawnTlm(sock, root);
  await waitReady(sock);
  const ms = performance.now() - t0;
  await stop(child);
  return ms;
}

function nodeSpawn() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    execa(process.execPath, ["-e", "0"], { stdio: "ignore", reject: false }).once("exit", () => resolve(performance.now() - t0));
  });
}

function peakRssMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch { return NaN; }
}

function tableSizes(path) {
  const db = new Database(path, { readonly: true });
  try {
    const mb = (like) => db.prepare("SELECT coalesce(sum(pgsize), 0) / 1e6 FROM dbstat WHERE name LIKE ?").pluck().get(like);
    return { fts_MB: mb("memories_fts%"), lex_MB: mb("lex_%"), memories_MB: mb("memories") };
  } finally { db.close(); }
}

const engineRows = [];
const sizeRows = [];
for (const n of SIZES) {
  const pub = join(work, `pub-${n}`);
  const root = join(work, `root-${n}`);
  const id = `bench${n}`;
  const b0 = performance.now();
  const built = await buildBundle({ records: generateCorpus(n, 1), outDir: pub, bundleId: id, ...(EMBED ? { embedder: new StaticWordEmbedder() } : {}) });
  const buildMs = performance.now() - b0;
  const dir = join(root, "bundles", id);
  mkdirSync(dir, { recursive: true });
  execaSync("tar", ["-xzf", built.archivePath, "-C", dir]);
  copyFileSync(built.manifestPath, join(dir, "manifest.json"));
  symlinkSync(join("bundles", id), join(root, "current"));
  rmSync(pub, { recursive: true, force: true });
  const dbPath = join(dir, "memories.db");

  const opened = MemoryDatabase.open(dbPath);
  if (!opened.ok) throw new Error(opened.message);
  const engine = opened.db;
  const raw = new Database(dbPath, { readonly: true });
  raw.pragma("mmap_size = 1073741824");
  const baseline = baselineStatement(raw);
  const texts = Object.fromEntries(Object.entries(CLASSES).map(([k, gen]) => [k, Array.from({ length: QUERIES }, gen)]));

  for (const [cls, qs] of Object.entries(texts)) {
    for (const text of qs.slice(0, 30)) engine.query({ text, limit: LIMIT });
    const wall = [];
    const best = [];
    let exact = 0;
    let truncated = 0;
    const cpu0 = process.cpuUsage();
    for (const text of qs) {
      let b = Infinity;
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        const o = engine.lexicalCandidates({ text, limit: LIMIT });
        engine.materialize(o.ranked);
        const ms = performance.now() - t;
        if (r === 0) { wall.push(ms); if (o.exact) exact++; if (o.truncated) truncated++; }
        b = Math.min(b, ms);
      }
      best.push(b);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / (3 * qs.length);
    // Baseline and agreement on a subset: recall@10 of the engine against FTS5's exact top 10.
    const base = [];
    let agree = 0;
    let wanted = 0;
    for (const text of qs.slice(0, BASELINE_QUERIES)) {
      const t = performance.now();
      const truth = baseline.all(matchOf(text));
      base.push(performance.now() - t);
      // The same words as FTS5 ranks: thesaurus expansions (which FTS5's bm25 does not know) off.
      const got = new Set(engine.lexicalCandidates({ text, limit: LIMIT }, { expand: false }).ranked.map((r) => r.rowid));
      wanted += truth.length;
      agree += truth.filter((r) => got.has(r.rowid)).length;
    }
    engineRows.push({
      memories: n, class: cls,
      cpu_ms: fmt(cpuMs, 3), p50_ms: fmt(pct(wall, 50), 3), p99_ms: fmt(pct(wall, 99), 3), best3_p99_ms: fmt(pct(best, 99), 3), max_ms: fmt(Math.max(...wall), 1),
      fts_bm25_p50_ms: fmt(pct(base, 50), 3), fts_bm25_p99_ms: fmt(pct(base, 99), 3),
      "speedup_p50": fmt(pct(base, 50) / pct(wall, 50), 1) + "x", "speedup_p99": fmt(pct(base, 99) / pct(wall, 99), 1) + "x",
      exact: fmt((100 * exact) / qs.length, 0) + "%", recall_at_10: fmt(wanted ? (100 * agree) / wanted : 100, 1) + "%",
      truncated: truncated,
    });
  }
  raw.close();
  engine.retire();

  let rss = NaN;
  if (SOCKET) {
    const sock = join(work, `s${n}.sock`);
    const child = spawnTlm(sock, root);
    await waitReady(sock);
    // Timed from a separate small client process (bench/socket-client.mjs): this process holds the corpus, and its GC pauses are not tlm's.
    // Each request also goes to a canned server answering the same envelope, right before or after it: the floor, under the same machine state.
    const rounds = Object.entries(texts).map(([cls, qs]) => ({ name: cls, warmup: 30, bodies: qs.map((text) => JSON.stringify({ text, limit: LIMIT })) }));
    const measured = await socketPaired(sock, join(work, `floor${n}.sock`), rounds);
    rss = peakRssMb(child.pid);
    await stop(child);
    for (const row of engineRows.filter((r) => r.memories === n)) {
      const m = measured[row.class];
      row.socket_p50_ms = fmt(pct(m.latencies_ms, 50), 3);
      row.socket_p99_ms = fmt(pct(m.latencies_ms, 99), 3);
      row.took_p99_ms = fmt(pct(m.took_ms, 99), 3);
      row.floor_p99_ms = fmt(pct(m.floor_ms, 99), 3);
      row.socket_minus_floor_p99 = fmt(pct(m.latencies_ms, 99) - pct(m.floor_ms, 99), 3);
    }
    const cold = [];
    const bare = [];
    for (let i = 0; i < 5; i++) { cold.push(await coldStart(sock, root)); bare.push(await nodeSpawn()); }
    sizeRows.push({
      memories: n, build_s: fmt(buildMs / 1000, 1), db_MB: fmt(built.dbBytes / 1e6, 1), archive_MB: fmt(built.manifest.archive.size / 1e6, 1),
      ...Object.fromEntries(Object.entries(tableSizes(dbPath)).map(([k, v]) => [k, fmt(v, 1)])),
      cold_start_ms: fmt(median(cold), 0), node_e0_ms: fmt(median(bare), 0), cold_ratio: fmt(median(cold) / median(bare), 1) + "x",
      tlm_peak_rss_MB: fmt(rss, 0),
    });
  } else {
    sizeRows.push({ memories: n, build_s: fmt(buildMs / 1000, 1), db_MB: fmt(built.dbBytes / 1e6, 1), archive_MB: fmt(built.manifest.archive.size / 1e6, 1),
      ...Object.fromEntries(Object.entries(tableSizes(dbPath)).map(([k, v]) => [k, fmt(v, 1)])) });
  }
  rmSync(root, { recursive: true, force: true });
}

process.stdout.write(`tlm ${EMBED ? "hybrid bundle (socket), lexical engine (in-process)" : "lexical"} query bench — ${QUERIES} queries per class (baseline and recall on the first ${BASELINE_QUERIES}), limit ${LIMIT}, ` +
  `Zipf s=${DEFAULT_ZIPF_S} corpus, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}\n`);
process.stdout.write("cpu_ms: mean CPU time per query (user+system of this process: what the engine costs, whatever the load);\n" +
  "p50/p99: one in-process run per query (lexicalCandidates + materialize); best3_p99: p99 of each query's best of 3 runs;\n" +
  "fts_bm25: FTS5's full bm25 ranking (the engine before the lexical index) on the same database; speedup = fts_bm25 / engine;\n" +
  "exact: proven equal to the exact top 10; recall_at_10: share of FTS5's exact top 10 the engine returns (thesaurus expansions off); socket: POST /query to a real tlm serve,\n" +
  "timed from a separate client process; took: tlm's own took_ms from the envelope (request parsed to answer ready);\n" +
  "floor: the same client and bodies sent, interleaved with tlm's (before or after each), to a canned node:http server answering the same envelope.\n");
console.table(engineRows);
console.table(sizeRows);
process.stdout.write(`bench process peak RSS: ${fmt(process.resourceUsage().maxRSS / 1024, 0)} MB\n`);
