import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import Database from "better-sqlite3";
import { checkBundleDatabase, checkFileHeader, compareSchema, expectedSchema, readSchema, type SchemaObject } from "../bundle-db-check";
import { writeMemoriesDb } from "../memories-db";

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
let dir: string;
let good: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tlm-dbcheck-"));
  good = join(dir, "good.db");
  writeMemoriesDb(good, [{ id: "a", text: "hello world", kind: "note", created_at: "2024-01-01" }], { bundleId: "b", schemaVersion: "1.0.0" });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("compareSchema", () => {
  const built = () => [...expectedSchema().objects.values()];

  it("the schema derived in memory is the one a built file has, page 1 included", () => {
    const db = new Database(good, { readonly: true });
    try {
      expect(readSchema(db)).toEqual(built());
    } finally {
      db.close();
    }
    expect(expectedSchema().page1Leaf).toBe(readFileSync(good)[100] === 0x0d);
  });

  it("accepts exactly the build's schema, and any subset that keeps the required tables", () => {
    expect(compareSchema(built())).toBeNull();
    const required = expectedSchema().required;
    const optional = built().filter((o) => !required.has(JSON.stringify([o.type, o.name, o.tbl_name, o.sql])));
    expect(compareSchema(built().filter((o) => !optional.includes(o)))).toBeNull();
  });

  it("refuses any extra object, any changed definition and any missing required table", () => {
    const objects = built();
    fc.assert(fc.property(
      fc.oneof(
        fc.record({ kind: fc.constant("extra" as const), type: fc.constantFrom("table", "view", "trigger", "index"), name: fc.string({ minLength: 1, maxLength: 8 }) }),
        fc.record({ kind: fc.constant("change" as const), at: fc.nat(objects.length - 1), suffix: fc.string({ minLength: 1, maxLength: 5 }) }),
        fc.record({ kind: fc.constant("drop" as const), name: fc.constantFrom("meta", "memories", "memory_entities", "memories_fts", "memories_fts_data", "memories_fts_idx") }),
      ),
      (m) => {
        let actual: SchemaObject[];
        if (m.kind === "extra") actual = [...objects, { type: m.type, name: `x_${m.name}`, tbl_name: "memories", sql: `CREATE ${m.type.toUpperCase()} x` }];
        else if (m.kind === "change") actual = objects.map((o, i) => (i === m.at ? { ...o, sql: `${o.sql ?? ""} ${m.suffix}` } : o));
        else actual = objects.filter((o) => o.name !== m.name);
        expect(compareSchema(actual)).not.toBeNull();
      }), { seed, numRuns: 300 });
  });
});

describe("checkFileHeader and checkBundleDatabase", () => {
  it("accept a database the build wrote", () => {
    expect(checkFileHeader(good)).toBeNull();
    expect(checkBundleDatabase(good)).toEqual({ ok: true });
  });

  it("refuse any truncation of it and any damage to its header's magic", () => {
    const bytes = readFileSync(good);
    fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (cut) => {
      const p = join(dir, "cut.db");
      writeFileSync(p, bytes.subarray(0, cut));
      expect(checkBundleDatabase(p).ok).toBe(false);
    }), { seed, numRuns: 60 });
    fc.assert(fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
      fc.pre(bytes[at] !== value);
      const p = join(dir, "magic.db");
      const copy = Buffer.from(bytes);
      copy[at] = value;
      writeFileSync(p, copy);
      expect(checkFileHeader(p)).toMatch(/not an SQLite database/);
    }), { seed, numRuns: 60 });
  });
});
