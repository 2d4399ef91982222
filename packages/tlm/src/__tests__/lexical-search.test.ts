import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams } from "@recall/test-utils";
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QueryIntent } from "@recall/protocol";
import { MEMORY_KINDS } from "@recall/protocol";
import { MemoryDatabase } from "../query-engine";
import { writeMemoriesDb } from "../memories-db";
import { defaultBuildSteps } from "../build-steps";
import { tokenize } from "../fts-query";
import { filterSql } from "../filters";
import type { MemoryRecord } from "../records";

/** Runs a property with the suite's seed (test-utils: FC_SEED replays a failure, FUZZ_RUNS/soak scale the runs). */
const check = <T,>(prop: fc.IProperty<T>, numRuns: number): void => fc.assert(prop, fcParams({ numRuns }));
/** {@link check}, with inputs run before the random ones. */
const checkWith = <T,>(prop: fc.IProperty<T>, numRuns: number, examples: T[]): void => fc.assert(prop, fcParams({ numRuns, examples }));

// A skewed little vocabulary: the first words land in most memories, inflections share stems.
const VOCAB = ["deploy", "deploys", "deploying", "service", "cache", "billing", "alice", "latency", "rollback", "queue", "zebra", "kofi"];
const ENTITIES = ["billing-api", "kofi", "Search-Svc", "alice"];
const QUERY_WORDS = [...VOCAB, "absent", "the", "caches", "services"];

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "tlm-lex-")); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const skewedWord = fc.nat({ max: 999 }).map((u) => VOCAB[Math.floor(VOCAB.length * (u / 1000) ** 2)]!);
const recordArb = fc.record({
  words: fc.array(skewedWord, { minLength: 1, maxLength: 12 }),
  entities: fc.uniqueArray(fc.constantFrom(...ENTITIES), { maxLength: 2 }),
  kind: fc.constantFrom(...MEMORY_KINDS),
  day: fc.integer({ min: 1, max: 28 }),
});
const intentArb = fc.record({
  words: fc.array(fc.constantFrom(...QUERY_WORDS), { minLength: 1, maxLength: 6 }),
  limit: fc.integer({ min: 1, max: 8 }),
  kinds: fc.option(fc.uniqueArray(fc.constantFrom(...MEMORY_KINDS), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  entity: fc.option(fc.constantFrom(...ENTITIES), { nil: undefined }),
  since: fc.option(fc.integer({ min: 1, max: 28 }), { nil: undefined }),
});

type RecordShape = typeof recordArb extends fc.Arbitrary<infer T> ? T : never;
type IntentShape = typeof intentArb extends fc.Arbitrary<infer T> ? T : never;

function toRecords(rs: RecordShape[]): MemoryRecord[] {
  return rs.map((r, i) => ({
    id: `m${i}`, text: r.words.join(" "), kind: r.kind,
    ...(r.entities.length ? { entities: r.entities } : {}),
    created_at: `2026-02-${String(r.day).padStart(2, "0")}T00:00:00Z`,
  }));
}

function toIntent(q: IntentShape): QueryIntent {
  return {
    text: q.words.join(" "), limit: q.limit,
    ...(q.kinds ? { kinds: q.kinds } : {}),
    ...(q.entity ? { entities: [q.entity] } : {}),
    ...(q.since ? { since: `2026-02-${String(q.since).padStart(2, "0")}` } : {}),
  };
}

/** The reference: FTS5's own bm25 over every match of the OR query, filters in SQL, no limit. */
function exactRanking(path: string, intent: QueryIntent): { rowid: number; score: number }[] {
  const db = new Database(path, { readonly: true });
  try {
    const words = tokenize(intent.text);
    if (words.length === 0) return [];
    const f = filterSql(intent);
    const sql = `SELECT m.rowid AS rowid, -bm25(memories_fts, 1, 2) AS score FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid
      WHERE memories_fts MATCH @match ${f.conditions.map((c) => `AND ${c}`).join(" ")} ORDER BY bm25(memories_fts, 1, 2), m.rowid`;
    return db.prepare(sql).all({ ...f.params, match: words.map((w) => `"${w}"`).join(" OR ") }) as { rowid: number; score: number }[];
  } finally {
    db.close();
  }
}

let built = 0;
function buildDb(records: MemoryRecord[], championSize: number): string {
  const path = join(dir, `db${built++}.db`);
  writeMemoriesDb(path, records, { bundleId: "t", schemaVersion: "1.0.0" }, defaultBuildSteps({ lexical: { championSize } }));
  return path;
}

// An input the bounded branch always takes (one-entry champion lists, forty memories sharing the query's words), run
// first: the random inputs take it only a few times in 400 queries, and some seeds never did.
const BOUNDED_EXAMPLE: [RecordShape[], number, IntentShape[]] = [
  Array.from({ length: 40 }, (_, i) => ({
    words: Array.from({ length: 1 + (i % 7) }, (_, j) => ["deploy", "service", "cache", "billing"][(i + j) % 4]!),
    entities: [], kind: MEMORY_KINDS[0], day: 1 + (i % 28),
  })),
  1,
  [{ words: ["deploy", "service"], limit: 8, kinds: undefined, entity: undefined, since: undefined }],
];

describe("bounded lexical ranking vs FTS5's exact bm25", () => {
  it("is the exact top-k when it says so, and otherwise true matches with exact scores in order", () => {
    let exactRuns = 0;
    let boundedRuns = 0;
    checkWith(fc.property(fc.array(recordArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 6 }),
      fc.array(intentArb, { minLength: 1, maxLength: 6 }), (rs, championSize, qs) => {
        const path = buildDb(toRecords(rs), championSize);
        const opened = MemoryDatabase.open(path);
        if (!opened.ok) throw new Error(opened.message);
        try {
          expect(opened.db.bounded).toBe(true);
          for (const q of qs) {
            const intent = toIntent(q);
            const reference = exactRanking(path, intent);
            const got = opened.db.lexicalCandidates(intent);
            expect(got.truncated).toBe(false);
            if (got.exact) {
              exactRuns++;
              expect(got.ranked).toEqual(reference.slice(0, q.limit));
            } else {
              boundedRuns++;
              const truth = new Map(reference.map((r) => [r.rowid, r.score]));
              expect(got.ranked.length).toBeLessThanOrEqual(q.limit);
              for (const r of got.ranked) expect(r.score).toBe(truth.get(r.rowid));
              for (let i = 1; i < got.ranked.length; i++) {
                const [a, b] = [got.ranked[i - 1]!, got.ranked[i]!];
                expect(a.score > b.score || (a.score === b.score && a.rowid < b.rowid)).toBe(true);
              }
            }
          }
        } finally {
          opened.db.retire();
          rmSync(path, { force: true });
        }
      }), 120, [BOUNDED_EXAMPLE]);
    // Both branches were exercised (small champion lists force the bounded one).
    expect(exactRuns).toBeGreaterThan(0);
    expect(boundedRuns).toBeGreaterThan(0);
  });

  it("equals the exact ranking whenever the champion lists hold every posting", () => {
    check(fc.property(fc.array(recordArb, { minLength: 1, maxLength: 30 }), fc.array(intentArb, { minLength: 1, maxLength: 5 }), (rs, qs) => {
      const path = buildDb(toRecords(rs), 64);
      const opened = MemoryDatabase.open(path);
      if (!opened.ok) throw new Error(opened.message);
      try {
        for (const q of qs) {
          const intent = toIntent(q);
          const got = opened.db.lexicalCandidates(intent);
          expect(got.exact).toBe(true);
          expect(got.ranked).toEqual(exactRanking(path, intent).slice(0, q.limit));
        }
      } finally {
        opened.db.retire();
        rmSync(path, { force: true });
      }
    }), 60);
  });
});
