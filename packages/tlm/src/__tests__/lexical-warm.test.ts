import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryDatabase } from "../query-engine";
import { writeMemoriesDb } from "../memories-db";
import { openLexicalReader } from "../lexical-reader";
import { seededRandom } from "../corpus";
import type { DocTerms } from "../lexical-index";
import type { MemoryRecord } from "../records";

// A corpus of a few hundred memories over a small vocabulary, so that queries touch many memories' stored terms.
const rand = seededRandom(5);
const vocabulary = ["billing", "deploy", "rollback", "kafka", "postgres", "redis", "cache", "oncall", "pager", "invoice",
  "migration", "schema", "review", "terraform", "latency", "budget", "refund", "search", "index", "replica"];
const records: MemoryRecord[] = Array.from({ length: 400 }, (_, i) => ({
  id: `m${i}`, kind: "fact", entities: [], created_at: "2026-01-01T00:00:00Z",
  text: Array.from({ length: 5 + Math.floor(rand() * 10) }, () => vocabulary[Math.floor(rand() * vocabulary.length)]!).join(" "),
}));
const QUERIES = ["billing deploy", "kafka redis cache", "schema migration review", "refund invoice budget latency", "pager"];

let dir: string;
let path: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tlm-lexwarm-"));
  path = join(dir, "memories.db");
  writeMemoriesDb(path, records, { bundleId: "w", schemaVersion: "1.0.0" });
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const open = (p: string): MemoryDatabase => {
  const o = MemoryDatabase.open(p);
  if (!o.ok) throw new Error(o.message);
  return o.db;
};

describe("warmLexical: the forward index read on a worker thread before the first query", () => {
  it("resolves true, and the warmed database answers exactly as a cold one", async () => {
    const cold = open(path);
    const warm = open(path);
    try {
      expect(await warm.warmLexical()).toBe(true);
      for (const text of QUERIES) expect(warm.query({ text, limit: 20 })).toEqual(cold.query({ text, limit: 20 }));
    } finally {
      cold.retire();
      warm.retire();
    }
  });

  it("is false, never a rejection, for a bundle without the lexical index, a closed database or a stopped warm-up", async () => {
    const legacyPath = join(dir, "legacy.db");
    writeMemoriesDb(legacyPath, records, { bundleId: "l", schemaVersion: "1.0.0" }, []);
    const legacy = open(legacyPath);
    expect(await legacy.warmLexical()).toBe(false);
    legacy.retire();

    const closedMidway = open(path);
    const warming = closedMidway.warmLexical();
    closedMidway.retire();
    expect(await warming).toBe(false);

    const stopped = open(path);
    try {
      const stop = new AbortController();
      stop.abort();
      expect(await stopped.warmLexical(stop.signal)).toBe(false);
      // Nothing was kept, and queries read chunks as before.
      expect(stopped.query({ text: "billing" }).results.length).toBeGreaterThan(0);
    } finally {
      stopped.retire();
    }
  });

  it("prime() never replaces a chunk a query already read", () => {
    const raw = new Database(path, { readonly: true });
    try {
      const meta = Object.fromEntries((raw.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      const reader = openLexicalReader(raw, meta)!;
      const doc: DocTerms = { length: 0, bytes: Buffer.alloc(0), from: 0, to: 0 };
      expect(reader.docTerms(1, doc)).toBe(true);
      const before = Buffer.from(doc.bytes.subarray(doc.from, doc.to));
      reader.prime([{ chunk: 0, data: new Uint8Array(16) }]);
      expect(reader.docTerms(1, doc)).toBe(true);
      expect(Buffer.from(doc.bytes.subarray(doc.from, doc.to))).toEqual(before);
    } finally {
      raw.close();
    }
  });
});
