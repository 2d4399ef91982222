import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { generateCorpus } from "../corpus";
import { dot } from "../embed/embedder";
import { StaticWordEmbedder } from "../embed/static-embedder";
import { VECTOR_SCHEMA_SQL, VECTOR_SEARCH, VectorIndex, buildIndexBlobs, centre, listCount, quantise, writeIndexBlobs } from "../vector-index";

const embedder = new StaticWordEmbedder();

function indexOf(vectors: Float32Array[]): { index: VectorIndex; db: Database.Database } {
  const db = new Database(":memory:");
  db.exec(VECTOR_SCHEMA_SQL);
  writeIndexBlobs(db, buildIndexBlobs(embedder.id, embedder.dims, vectors.map((_, i) => i + 1), vectors));
  return { index: VectorIndex.read(db)!, db };
}

describe("vector index", () => {
  it("int8 quantisation keeps a unit vector's dot products within 1 %", () => {
    const a = embedder.embedOne("database migrations are reviewed");
    const b = embedder.embedOne("who approves schema changes");
    const codes = new Int8Array(a.length);
    const scale = quantise(a, codes, 0);
    let approx = 0;
    for (let i = 0; i < a.length; i++) approx += codes[i]! * scale * b[i]!;
    expect(Math.abs(approx - dot(a, b))).toBeLessThan(0.01);
  });

  it("one list below the exact threshold: search is exact (same order as brute force over the centred vectors)", () => {
    const texts = [...generateCorpus(500, 7)].map((r) => r.text);
    const vectors = texts.map((t) => embedder.embedOne(t));
    const { index, db } = indexOf(vectors);
    try {
      expect(index.info).toMatchObject({ lists: 1, count: 500, dims: 100, embedder: embedder.id });
      const mean = new Float32Array(100);
      for (const v of vectors) for (let d = 0; d < 100; d++) mean[d]! += v[d]! / vectors.length;
      for (const q of ["payments outage", "who owns the search cluster", "deploy rollback"]) {
        const qv = embedder.embedOne(q);
        const c = centre(qv, mean);
        const exact = vectors.map((v, i) => ({ rowid: i + 1, s: dot(c, centre(v, mean)) })).sort((x, y) => y.s - x.s).slice(0, 10);
        const got = index.search(qv, 10);
        // int8 may swap near-ties; the sets agree and the similarities match closely.
        expect(got.filter((h) => exact.some((e) => e.rowid === h.rowid)).length).toBeGreaterThanOrEqual(9);
        got.forEach((h, i) => expect(Math.abs(h.similarity - exact[i]!.s)).toBeLessThan(0.02));
      }
    } finally {
      db.close();
    }
  });

  it("IVF at scale: ~√n lists, bounded scan, and high overlap with the exact top 10", async () => {
    const n = 20_000;
    const vectors = [...generateCorpus(n, 3)].map((r) => embedder.embedOne(r.text));
    const { index, db } = indexOf(vectors);
    try {
      expect(index.info.lists).toBe(listCount(n));
      expect(index.info.lists).toBeGreaterThan(50);
      const mean = new Float32Array(100);
      for (const v of vectors) for (let d = 0; d < 100; d++) mean[d]! += v[d]! / n;
      const centred = vectors.map((v) => centre(v, mean));
      let overlap = 0;
      const queries = ["card payment failures", "kafka consumer lag", "mobile release schedule", "password hashing", "on-call handover"];
      for (const q of queries) {
        const qv = embedder.embedOne(q);
        const c = centre(qv, mean);
        const exact = new Set(centred.map((v, i) => ({ i: i + 1, s: dot(c, v) })).sort((a, b) => b.s - a.s).slice(0, 10).map((e) => e.i));
        overlap += index.search(qv, 10).filter((h) => exact.has(h.rowid)).length;
      }
      expect(overlap / (queries.length * 10)).toBeGreaterThanOrEqual(0.6);
      expect(VECTOR_SEARCH.maxScanned).toBeLessThan(n * 2);
      // Assembled a slice at a time (a warm-up's read), the index answers the same.
      const rows = db.prepare("SELECT key, value FROM memory_vectors").all() as { key: string; value: Uint8Array }[];
      let turns = 0;
      const sliced = (await VectorIndex.fromRowsSliced(rows, async () => { turns++; }))!;
      expect(turns).toBeGreaterThan(1);
      for (const q of queries) expect(sliced.search(embedder.embedOne(q), 10)).toEqual(index.search(embedder.embedOne(q), 10));
    } finally {
      db.close();
    }
  });

  it("a database without vectors reads as null; inconsistent blobs throw", async () => {
    const db = new Database(":memory:");
    try {
      expect(VectorIndex.read(db)).toBeNull();
      db.exec(VECTOR_SCHEMA_SQL);
      expect(VectorIndex.read(db)).toBeNull();
      const blobs = buildIndexBlobs("x@1", 100, [1, 2], [embedder.embedOne("a b"), embedder.embedOne("c d")]);
      blobs.set("codes", Buffer.alloc(10));
      writeIndexBlobs(db, blobs);
      expect(() => VectorIndex.read(db)).toThrow(/codes/);
      const rows = db.prepare("SELECT key, value FROM memory_vectors").all() as { key: string; value: Uint8Array }[];
      await expect(VectorIndex.fromRowsSliced(rows, async () => {})).rejects.toThrow(/codes/);
      expect(await VectorIndex.fromRowsSliced([], async () => {})).toBeNull();
    } finally {
      db.close();
    }
  });

  it("the same vectors always build the same index (deterministic k-means)", () => {
    const vectors = [...generateCorpus(5000, 11)].map((r) => embedder.embedOne(r.text));
    const a = buildIndexBlobs("x@1", 100, vectors.map((_, i) => i), vectors);
    const b = buildIndexBlobs("x@1", 100, vectors.map((_, i) => i), vectors);
    for (const [k, v] of a) expect(Buffer.compare(v, b.get(k)!), k).toBe(0);
  });
});
