// Vector search alone at scale: IVF int8 index over the offline embedder's vectors of the synthetic corpus,
// built in memory (no bundle), then search p50/p99 and recall@10 against an exact scan of the same vectors.
// Run: (cd packages/tlm && npx tsup && node bench/vector-search.bench.mjs); BENCH_SIZES=100000,1000000 by default.
import Database from "better-sqlite3";
import { readFileSync } from "node:fs";
import { StaticWordEmbedder, VECTOR_SCHEMA_SQL, VectorIndex, buildIndexBlobs, generateCorpus } from "../dist/index.js";

const SIZES = (process.env.BENCH_SIZES ?? "100000,1000000").split(",").map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 2000);
const EXACT_QUERIES = 30;
const e = new StaticWordEmbedder();
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const texts = readFileSync(new URL("../test/relevance/paraphrase.jsonl", import.meta.url), "utf8").trim().split("\n").map((l) => JSON.parse(l).q);
const rows = [];
for (const n of SIZES) {
  const t0 = performance.now();
  const vectors = [];
  for (const r of generateCorpus(n, 1)) vectors.push(e.embedOne(r.text));
  const embedMs = performance.now() - t0;
  const t1 = performance.now();
  const blobs = buildIndexBlobs(e.id, e.dims, vectors.map((_, i) => i + 1), vectors);
  const indexMs = performance.now() - t1;
  const db = new Database(":memory:");
  db.exec(VECTOR_SCHEMA_SQL);
  const put = db.prepare("INSERT INTO memory_vectors (key, value) VALUES (?, ?)");
  for (const [k, v] of blobs) put.run(k, v);
  const t2 = performance.now();
  const index = VectorIndex.read(db);
  const loadMs = performance.now() - t2;
  const lat = [];
  for (let i = 0; i < 200 + QUERIES; i++) {
    const q = e.embedOne(texts[i % texts.length]);
    const t = performance.now();
    index.search(q, 30);
    if (i >= 200) lat.push(performance.now() - t);
  }
  // Exact top 10 of the same centred, quantised space would need the codes; the float vectors are the stricter reference.
  const mean = new Float32Array(e.dims);
  for (const v of vectors) for (let d = 0; d < e.dims; d++) mean[d] += v[d] / n;
  let hit = 0;
  for (const text of texts.slice(0, EXACT_QUERIES)) {
    const q = e.embedOne(text);
    const c = new Float32Array(e.dims);
    let norm = 0;
    for (let d = 0; d < e.dims; d++) { c[d] = q[d] - mean[d]; norm += c[d] * c[d]; }
    const best = [];
    vectors.forEach((v, i) => {
      let s = 0, vn = 0;
      for (let d = 0; d < e.dims; d++) { const x = v[d] - mean[d]; s += c[d] * x; vn += x * x; }
      best.push([i + 1, s / Math.sqrt(vn * norm || 1)]);
      if (best.length > 200) { best.sort((a, b) => b[1] - a[1]); best.length = 10; }
    });
    best.sort((a, b) => b[1] - a[1]);
    const got = new Set(index.search(q, 10).map((h) => h.rowid));
    hit += best.slice(0, 10).filter(([id]) => got.has(id)).length;
  }
  const bytes = [...blobs.values()].reduce((s, b) => s + b.byteLength, 0);
  rows.push({
    vectors: n, embed_s: (embedMs / 1000).toFixed(1), index_build_s: (indexMs / 1000).toFixed(1), index_MB: (bytes / 1e6).toFixed(1),
    lists: index.info.lists, load_ms: loadMs.toFixed(1), search_p50_ms: pct(lat, 50).toFixed(3), search_p99_ms: pct(lat, 99).toFixed(3),
    recall10_vs_exact: (hit / (EXACT_QUERIES * 10)).toFixed(3),
  });
  db.close();
}
process.stdout.write(`vector search bench — ${e.id}, top 30, ${QUERIES} queries (the 67 paraphrases, cycled)\n`);
console.table(rows);
process.stdout.write(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`);
