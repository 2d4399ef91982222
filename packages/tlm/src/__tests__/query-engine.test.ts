import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { execa } from "execa";
import { MemoryDatabase } from "../query-engine";
import { writeMemoriesDb } from "../memories-db";
import type { MemoryRecord } from "../records";

const require = createRequire(import.meta.url);
let dir: string;
let db: MemoryDatabase;
const records: MemoryRecord[] = [
  { id: "a", text: "Deploy the billing service with blue-green deploys", kind: "decision", entities: ["Billing-API", "kofi"], created_at: "2025-01-10T00:00:00Z" },
  { id: "b", text: "Billing invoices are immutable once finalised", kind: "fact", entities: ["billing-api"], created_at: "2025-06-10T00:00:00Z", source_ref: "wiki/b" },
  { id: "c", text: "Search cache lives in Redis for sixty seconds", kind: "fact", entities: ["search-svc", "redis"], created_at: "2026-01-10T00:00:00Z" },
  { id: "d", text: "The billing deploy failed on a locked table", kind: "episode", entities: ["billing-api", "postgres"], created_at: "2026-03-01T12:00:00Z" },
  { id: "e", text: "kofi prefers pinned terraform modules", kind: "preference", entities: ["kofi"], created_at: "2026-05-01T00:00:00Z" },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tlm-qe-"));
  writeMemoriesDb(join(dir, "memories.db"), records, { bundleId: "t1", schemaVersion: "1.0.0" });
  const o = MemoryDatabase.open(join(dir, "memories.db"), { integrityCheck: true });
  if (!o.ok) throw new Error(o.message);
  db = o.db;
});
afterAll(async () => {
  db.retire();
  await rm(dir, { recursive: true, force: true });
});

const ids = (o: { results: { id: string }[] }) => o.results.map((r) => r.id);

describe("MemoryDatabase", () => {
  it("reads meta and ranks by bm25 (score = -bm25, descending)", () => {
    expect(db.meta).toMatchObject({ bundle_id: "t1", count: "5", schema_version: "1.0.0" });
    // bm25 alone: the thesaurus's words (expansion.test.ts) off.
    const o = db.query({ text: "billing deploy" }, Number.POSITIVE_INFINITY, undefined, { expand: false });
    expect(ids(o).slice(0, 2).sort()).toEqual(["a", "d"]);
    expect(ids(o)).toContain("b");
    expect(o.results.every((r, i, all) => r.score > 0 && (i === 0 || all[i - 1]!.score >= r.score))).toBe(true);
    expect(o.results.find((r) => r.id === "b")).toMatchObject({ source_ref: "wiki/b", entities: ["billing-api"], created_at: "2025-06-10T00:00:00.000Z" });
  });
  it("matches stems (porter) and entities", () => {
    expect(ids(db.query({ text: "deploying" }))).toEqual(expect.arrayContaining(["a", "d"]));
    expect(ids(db.query({ text: "postgres" }))).toEqual(["d"]);
  });
  it("filters kinds, entities (all, case-insensitive), since and until", () => {
    expect(ids(db.query({ text: "billing", kinds: ["fact", "episode"] })).sort()).toEqual(["b", "d"]);
    expect(ids(db.query({ text: "billing deploy", entities: ["BILLING-api", "Kofi"] }))).toEqual(["a"]);
    expect(ids(db.query({ text: "billing", since: "2025-06-10T00:00:00Z" })).sort()).toEqual(["b", "d"]);
    expect(ids(db.query({ text: "billing", until: "2025-06-10" })).sort()).toEqual(["a", "b"]);
    expect(ids(db.query({ text: "billing", since: "2025-02-01", until: "2026-01-01T00:00:00Z" }))).toEqual(["b"]);
  });
  it("honours limit and returns nothing for word-less text", () => {
    expect(db.query({ text: "billing", limit: 1 }).results.length).toBe(1);
    expect(db.query({ text: "***" })).toEqual({ results: [], truncated: false });
  });
  it("cuts at the deadline between phases and before every exact read, and says truncated", () => {
    const full = db.query({ text: "billing deploy" });
    for (const deadline of [5, 15]) {
      let t = 0;
      const clock = { now: () => (t += 10) };
      const o = db.query({ text: "billing deploy" }, deadline, clock);
      expect(o.truncated).toBe(true);
      expect(o.results.length).toBeLessThan(full.results.length);
      // What was ranked before the deadline is exact: true matches with their full-ranking scores.
      for (const r of o.results) expect(full.results.find((f) => f.id === r.id)?.score).toBe(r.score);
    }
    expect(db.query({ text: "billing deploy" }, Number.POSITIVE_INFINITY, { now: () => 0 }).truncated).toBe(false);
  });
  it("ranks bundles without the lexical index through FTS5 bm25 (same answers)", async () => {
    const path = join(dir, "legacy.db");
    writeMemoriesDb(path, records, { bundleId: "t0", schemaVersion: "1.0.0" }, []);
    const o = MemoryDatabase.open(path);
    if (!o.ok) throw new Error(o.message);
    try {
      expect(o.db.bounded).toBe(false);
      expect(db.bounded).toBe(true);
      // The old bundle is not expanded (thesaurus.ts needs the lexical index): the same answers as the bounded engine's without it.
      for (const text of ["billing deploy", "deploying", "kofi terraform", "redis cache"]) {
        expect(o.db.query({ text })).toEqual(db.query({ text }, Number.POSITIVE_INFINITY, undefined, { expand: false }));
      }
      expect(await o.db.warmThesaurus()).toBe(false);
    } finally {
      o.db.retire();
    }
  });
  it("keeps its shared lock between statements (the bundle never changes) without blocking another process reading the same file", async () => {
    expect(db.query({ text: "billing" }).results.length).toBeGreaterThan(0);
    // A separate process, as `recall bundle verify` or a second tlm would be: reading must not wait on this connection.
    const script = `const D = require(${JSON.stringify(require.resolve("better-sqlite3"))});
      const d = new D(${JSON.stringify(join(dir, "memories.db"))}, { readonly: true, fileMustExist: true, timeout: 0 });
      process.stdout.write(String(d.prepare("SELECT count(*) FROM memories").pluck().get()));`;
    const { stdout } = await execa(process.execPath, ["-e", script], { timeout: 20_000 });
    expect(stdout).toBe("5");
    expect(db.query({ text: "billing" }).results.length).toBeGreaterThan(0);
  });
  it("retire closes only after the last holder releases", async () => {
    const o = MemoryDatabase.open(join(dir, "memories.db"));
    if (!o.ok) throw new Error(o.message);
    o.db.acquire();
    o.db.retire();
    expect(o.db.isClosed).toBe(false);
    expect(o.db.query({ text: "redis" }).results.length).toBe(1);
    o.db.release();
    expect(o.db.isClosed).toBe(true);
  });
  it("open never throws on a file that is not a memories database", async () => {
    await writeFile(join(dir, "junk.db"), "definitely not sqlite".repeat(300));
    const junk = MemoryDatabase.open(join(dir, "junk.db"));
    expect(junk.ok).toBe(false);
    expect(MemoryDatabase.open(join(dir, "missing.db")).ok).toBe(false);
  });
});
