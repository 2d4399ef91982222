import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import { assetPath } from "../assets";
import { commonThreshold, words } from "../fts-query";
import { FUNCTION_WORDS } from "../function-words";
import { MemoryDatabase } from "../query-engine";
import { writeMemoriesDb } from "../memories-db";
import { seededRandom } from "../corpus";
import type { MemoryRecord } from "../records";
import { MAX_EXPANSION_WORDS, THESAURUS_FILE } from "../thesaurus";
import { ftsReference, sameRanking } from "./fts-reference";

// A corpus made of the shipped thesaurus's own words, so that nearly every query expands: four in five of its content
// words are held by some memories ("present"), the rest by none ("absent": their expansions stand in at full weight).
const N = 3000;
const record = (id: string, text: string): MemoryRecord => ({ id, text, kind: "fact", entities: [], created_at: "2026-01-01T00:00:00Z" });
const vocabulary = [...new Set(words(readFileSync(assetPath(THESAURUS_FILE), "utf8").split("\n").filter((l) => !l.startsWith("#")).join(" ")))]
  .filter((w) => !FUNCTION_WORDS.has(w) && w.length > 1).sort();
const rand = seededRandom(11);
const present = vocabulary.filter(() => rand() < 0.8);
const absent = vocabulary.filter((w) => !present.includes(w));

let dir: string;
let db: MemoryDatabase;
let raw: Database.Database;
let reference: ReturnType<typeof ftsReference>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tlm-expand-"));
  const path = join(dir, "memories.db");
  const records = Array.from({ length: N }, (_, i) => {
    const n = 6 + Math.floor(rand() * 14);
    return record(`m${i}`, Array.from({ length: n }, () => present[Math.floor(rand() * present.length)]!).join(" "));
  });
  // Two memories the examples below are about ("quillpost": a vendor name no thesaurus group holds).
  records.push(record("email-memo", "customer receipts leave through quillpost as transactional email"),
    record("mail-memo", "the mail room sorts paper mail on mondays"));
  writeMemoriesDb(path, records, { bundleId: "expand", schemaVersion: "1.0.0" });
  const o = MemoryDatabase.open(path);
  if (!o.ok) throw new Error(o.message);
  db = o.db;
  raw = new Database(path, { readonly: true });
  reference = ftsReference(raw, N + 2);
}, 120_000);
afterAll(() => {
  db?.retire();
  raw?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("thesaurus expansion in the bounded engine", () => {
  it("the corpus is what it claims: thousands of thesaurus words, some absent, none common", async () => {
    expect(present.length).toBeGreaterThan(1000);
    expect(absent.length).toBeGreaterThan(200);
    expect(await db.warmThesaurus()).toBe(true);
  });

  it("property: any query's ranking is FTS5's bm25 plus the weighted bm25 of its expansions, and each expansion is a rare corpus word the query lacks", () => {
    const word = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...present) }, { weight: 1, arbitrary: fc.constantFrom(...absent) });
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), (ws) => {
      const intent = { text: ws.join(" "), limit: 20 };
      const got = db.lexicalCandidates(intent);
      expect(got.truncated).toBe(false);
      const added = (got.expansions ?? []).flatMap((e) => e.with);
      expect(added.length).toBeLessThanOrEqual(MAX_EXPANSION_WORDS);
      const df = raw.prepare("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?").pluck();
      for (const w of added) {
        expect(ws).not.toContain(w);
        const n = df.get(`"${w}"`) as number;
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(commonThreshold(N + 2));
      }
      const all = new Map(reference({ ...intent, limit: N + 2 }, got).map((r) => [r.rowid, r.score]));
      if (got.exact) sameRanking(got.ranked, reference(intent, got), all);
      else for (const r of got.ranked) expect(Math.abs(r.score - all.get(r.rowid)!) <= 1e-9 * Math.max(1, r.score)).toBe(true);
      // Off, the engine ranks the words as typed.
      const plain = db.lexicalCandidates(intent, { expand: false });
      expect(plain.expansions).toBeUndefined();
      if (plain.exact) expect(plain.ranked).toEqual(reference(intent, plain));
    }), fcParams({ numRuns: 150 }));
  });

  it("a word the corpus lacks is found through its expansions; a word it holds keeps its own memories first", () => {
    const rows = (text: string) => db.query({ text, limit: 100 });
    // "mail" is held: the memory saying it ranks above the one saying "email".
    const mail = rows("mail");
    expect(mail.expansions?.find((e) => e.word === "mail")?.with).toContain("email");
    const ids = mail.results.map((r) => r.id);
    expect(ids.indexOf("mail-memo")).toBe(0);
    expect(ids).toContain("email-memo");
    // The same question without the held word: expansions carry it.
    expect(rows("e-mail quillpost").results[0]!.id).toBe("email-memo");
  });

  it("a budget already spent expands nothing", () => {
    const got = db.lexicalCandidates({ text: "mail", limit: 5 }, { deadline: -1 });
    expect(got.expansions).toBeUndefined();
    expect(got.truncated).toBe(true);
  });
});
