import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeMemoriesDb } from "../memories-db";
import { openLexicalReader } from "../lexical-reader";
import { decodeChampions } from "../lexical-index";
import { seededRandom } from "../corpus";
import type { MemoryRecord } from "../records";

// The served reader keeps decoded terms in a bounded cache (two generations of 2 048 words). A corpus of more
// distinct words than the cache holds makes it evict and promote; every answer must stay the stored row.
const rand = seededRandom(11);
const letters = "bcdfghjklmnpqrstvwxz";
const made = new Set<string>();
while (made.size < 6_000) made.add(Array.from({ length: 7 }, () => letters[Math.floor(rand() * letters.length)]).join(""));
const vocabulary = [...made];
const records: MemoryRecord[] = Array.from({ length: 1_500 }, (_, i) => ({
  id: `m${i}`, kind: "fact", entities: [], created_at: "2026-01-01T00:00:00Z",
  text: [vocabulary[(4 * i) % vocabulary.length], vocabulary[(4 * i + 1) % vocabulary.length], vocabulary[(4 * i + 2) % vocabulary.length],
    vocabulary[(4 * i + 3) % vocabulary.length], ...Array.from({ length: 6 }, () => vocabulary[Math.floor(rand() * 50)]!)].join(" "),
}));

let dir: string;
let db: Database.Database;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tlm-lexreader-"));
  const path = join(dir, "memories.db");
  writeMemoriesDb(path, records, { bundleId: "r", schemaVersion: "1.0.0" });
  db = new Database(path, { readonly: true });
});
afterAll(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the served lexical reader's term cache", () => {
  it("answers every lookup as the stored row, across evictions, promotions and unknown words", () => {
    const meta = Object.fromEntries((db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
    const reader = openLexicalReader(db, meta)!;
    expect(reader).not.toBeNull();
    const tokens = db.prepare("SELECT token FROM lex_terms").pluck().all() as string[];
    expect(tokens.length).toBeGreaterThan(4_096);
    const row = db.prepare("SELECT id, df, idf, champions FROM lex_terms WHERE token = ?");
    const stored = (token: string) => {
      const r = row.get(token) as { id: number; df: number; idf: number; champions: Buffer } | undefined;
      if (!r) return undefined;
      const c = decodeChampions(r.champions);
      return { id: r.id, df: r.df, idf: r.idf, rowids: [...c.rowids], wtfs: [...c.wtfs] };
    };
    const seen = (token: string) => {
      const t = reader.term(token);
      return t && { id: t.id, df: t.df, idf: t.idf, rowids: [...t.champions.rowids], wtfs: [...t.champions.wtfs] };
    };
    const hot = tokens.slice(0, 20);
    const pick = seededRandom(3);
    let checked = 0;
    // Three sweeps over every token (each sweep more than the cache holds), hot words every few lookups, unknown words between.
    for (let sweep = 0; sweep < 3; sweep++) {
      for (let i = 0; i < tokens.length; i++) {
        const token = i % 7 === 0 ? hot[Math.floor(pick() * hot.length)]! : i % 11 === 0 ? `zz${i % 500}` : tokens[(i * 7919 + sweep) % tokens.length]!;
        expect(seen(token), token).toEqual(stored(token));
        checked++;
      }
    }
    expect(checked).toBe(3 * tokens.length);
    // A word used in every generation stays cached: the same object each time.
    const first = reader.term(hot[0]!);
    for (let i = 0; i < 3 * tokens.length; i++) {
      if (i % 100 === 0) expect(reader.term(hot[0]!)).toBe(first);
      reader.term(tokens[i % tokens.length]!);
    }
    expect(first).toBeDefined();
  });
});
