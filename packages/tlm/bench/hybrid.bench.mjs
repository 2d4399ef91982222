// Hybrid retrieval cost: what vectors add to build time and bundle size, per-class query latency
// (lexical vs vector vs hybrid, in-process), and over the socket: cold start, first hybrid query, p50/p99, RSS.
// Run: (cd packages/tlm && npx tsup && node bench/hybrid.bench.mjs); BENCH_FULL=1 adds 1M memories.
import { execa, execaSync } from "execa";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { socketClient, socketPaired } from "./socket-floor.mjs";
import { MemoryDatabase, StaticWordEmbedder, VectorSide, buildBundle, generateCorpus, hybridQuery, seededRandom } from "../dist/index.js";

const BIN = fileURLToPath(new URL("../bin/tlm.js", import.meta.url));
const SIZES = (process.env.BENCH_SIZES ?? `10000,100000${process.env.BENCH_FULL === "1" ? ",1000000" : ""}`).split(",").map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 1000);
const WARMUP = 200;
const work = mkdtempSync(join(tmpdir(), "tlm-hbench-"));
const children = new Set();
process.on("exit", () => { for (const c of children) c.kill("SIGKILL"); rmSync(work, { recursive: true, force: true }); });

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const embedder = new StaticWordEmbedder();
const paraphrases = readFileSync(new URL("../test/relevance/paraphrase.jsonl", import.meta.url), "utf8").trim().split("\n").map((l) => JSON.parse(l).q);

function corpusQueries(n, count) {
  const rand = seededRandom(99);
  const every = Math.max(1, Math.floor(n / count));
  const out = [];
  let i = 0;
  for (const r of generateCorpus(n, 1)) {
    if (i++ % every !== 0) continue;
    const w = r.text.toLowerCase().replace(/[^a-z ]/g, "").split(" ");
    const k = 2 + Math.floor(rand() * 2);
    out.push(Array.from({ length: k }, () => w[Math.floor(rand() * w.length)]).join(" "));
    if (out.length >= count) break;
  }
  return out;
}

const CLASSES = (n) => ({
  "corpus words (2-3)": corpusQueries(n, 300),
  "paraphrase (English)": paraphrases,
  "one common word": ["service", "billing", "deploy", "database", "payment", "cache"],
  "long (12 words)": paraphrases.map((q, i) => `${q} ${paraphrases[(i + 7) % paraphrases.length]}`.split(" ").slice(0, 12).join(" ")),
});

function time(fn, texts) {
  const xs = [];
  for (let i = 0; i < WARMUP + QUERIES; i++) {
    const text = texts[i % texts.length];
    const t = performance.now();
    fn(text);
    if (i >= WARMUP) xs.push(performance.now() - t);
  }
  return xs;
}

function ready(sock) {
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

async function startTlm(sock, root) {
  const t0 = performance.now();
  const child = execa(process.execPath, [BIN, "serve", "--socket", sock, "--bundle-root", root, "--poll-interval", "0", "--log-level", "warn"], { stdio: "ignore", cleanup: true, reject: false });
  children.add(child);
  child.once("exit", () => children.delete(child));
  while (!(await ready(sock))) await new Promise((r) => setTimeout(r, 1));
  return { child, readyMs: performance.now() - t0 };
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
}

const peakRssMb = (pid) => { try { return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024; } catch { return NaN; } };

function install(root, built, id) {
  const dir = join(root, "bundles", id);
  mkdirSync(dir, { recursive: true });
  execaSync("tar", ["-xzf", built.archivePath, "-C", dir]);
  copyFileSync(built.manifestPath, join(dir, "manifest.json"));
  symlinkSync(join("bundles", id), join(root, "current"));
  return dir;
}

const buildRows = [];
const classRows = [];
const socketRows = [];
for (const n of SIZES) {
  const t0 = performance.now();
  const plain = await buildBundle({ records: generateCorpus(n, 1), outDir: join(work, `pub-plain-${n}`), bundleId: `plain${n}` });
  const plainMs = performance.now() - t0;
  const t1 = performance.now();
  const hybrid = await buildBundle({ records: generateCorpus(n, 1), outDir: join(work, `pub-vec-${n}`), bundleId: `vec${n}`, embedder });
  const vecMs = performance.now() - t1;
  buildRows.push({
    memories: n, build_s: fmt(plainMs / 1000, 1), build_embed_s: fmt(vecMs / 1000, 1), added_s: fmt((vecMs - plainMs) / 1000, 1),
    db_MB: fmt(plain.dbBytes / 1e6, 1), db_embed_MB: fmt(hybrid.dbBytes / 1e6, 1), vectors_MB: fmt(hybrid.vectors.bytes / 1e6, 1),
    archive_MB: fmt(plain.manifest.archive.size / 1e6, 1), archive_embed_MB: fmt(hybrid.manifest.archive.size / 1e6, 1), ivf_lists: hybrid.vectors.lists,
  });
  const root = join(work, `root-${n}`);
  const dir = install(root, hybrid, `vec${n}`);
  rmSync(join(work, `pub-plain-${n}`), { recursive: true, force: true });
  rmSync(join(work, `pub-vec-${n}`), { recursive: true, force: true });

  const opened = MemoryDatabase.open(join(dir, "memories.db"));
  if (!opened.ok) throw new Error(opened.message);
  const db = opened.db;
  const side = new VectorSide(db.path);
  const l0 = performance.now();
  const index = side.load();
  const loadMs = performance.now() - l0;
  for (const [cls, texts] of Object.entries(CLASSES(n))) {
    const lex = time((text) => db.query({ text, limit: 10 }), texts);
    const emb = time((text) => embedder.embedQuery(text), texts);
    const vec = time((text) => index.search(embedder.embedQuery(text), 30), texts);
    const hyb = time((text) => hybridQuery(db, side, { text, limit: 10 }, embedder.embedQuery(db.correctedText(text)), Infinity, undefined, embedder.coverage(db.correctedText(text))), texts);
    classRows.push({
      memories: n, class: cls, lexical_p50: fmt(pct(lex, 50)), lexical_p99: fmt(pct(lex, 99)), embed_p99: fmt(pct(emb, 99)),
      vector_p50: fmt(pct(vec, 50)), vector_p99: fmt(pct(vec, 99)), hybrid_p50: fmt(pct(hyb, 50)), hybrid_p99: fmt(pct(hyb, 99)),
    });
  }
  side.close();
  db.retire();

  const sock = join(work, `s${n}.sock`);
  const colds = [];
  for (let i = 0; i < 3; i++) { const s = await startTlm(sock, root); colds.push(s.readyMs); await stop(s.child); }
  const { child } = await startTlm(sock, root);
  const body = (text) => JSON.stringify({ text, limit: 10 });
  const classes = CLASSES(n);
  const first = await socketClient(sock, [{ name: "first", warmup: 0, bodies: [body(paraphrases[0])] }]);
  if (first.first.first_retrieval !== "hybrid") throw new Error(`expected a hybrid answer, got ${first.first.first_retrieval}`);
  const rounds = Object.entries(classes).map(([cls, texts]) => ({ name: cls, warmup: WARMUP, bodies: Array.from({ length: QUERIES }, (_, i) => body(texts[i % texts.length])) }));
  // Each request also goes to a canned server answering the same envelope, right before or after it: the floor, under the same machine state.
  const measured = await socketPaired(sock, join(work, `floor${n}.sock`), rounds);
  const all = Object.keys(classes).flatMap((cls) => measured[cls].latencies_ms);
  socketRows.push({
    memories: n, class: "all", cold_start_ms: fmt(pct(colds, 50), 0), index_load_ms: fmt(loadMs, 1), first_hybrid_query_ms: fmt(first.first.first_ms, 1),
    socket_hybrid_p50_ms: fmt(pct(all, 50)), socket_hybrid_p99_ms: fmt(pct(all, 99)),
    took_p99_ms: fmt(pct(Object.keys(classes).flatMap((cls) => measured[cls].took_ms), 99)),
    floor_p99_ms: fmt(pct(Object.keys(classes).flatMap((cls) => measured[cls].floor_ms), 99)), tlm_peak_rss_MB: fmt(peakRssMb(child.pid), 0),
  });
  await stop(child);
  for (const cls of Object.keys(classes)) {
    const m = measured[cls];
    socketRows.push({ memories: n, class: cls, socket_hybrid_p50_ms: fmt(pct(m.latencies_ms, 50)), socket_hybrid_p99_ms: fmt(pct(m.latencies_ms, 99)),
      took_p99_ms: fmt(pct(m.took_ms, 99)), floor_p99_ms: fmt(pct(m.floor_ms, 99)) });
  }
  rmSync(root, { recursive: true, force: true });
}

process.stdout.write(`tlm hybrid bench — embedder ${embedder.id}; ${QUERIES} timed queries per cell after ${WARMUP} warm-up, limit 10\n\nBuild: what vectors add\n`);
console.table(buildRows);
process.stdout.write(`\nIn-process latency per query class (ms): lexical = bm25 only; vector = embed + IVF search (top 30); hybrid = embed + lexical + vector + fusion\n`);
console.table(classRows);
process.stdout.write(`\nOver the socket (tlm serve, hybrid bundle): cold start to ready; the index and word table load right after, on a worker thread (first_hybrid_query_ms is the first query after ready);\ntook: tlm's own took_ms from each envelope; floor: the same bodies, interleaved with tlm's, to a canned node:http server answering the same envelope (the machine's own tail)\n`);
console.table(socketRows);
process.stdout.write(`bench process peak RSS: ${fmt(process.resourceUsage().maxRSS / 1024, 0)} MB\n`);
