import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryDatabase } from "../query-engine";
import { writeMemoriesDb } from "../memories-db";

// Its own file: the shipped thesaurus is parsed once per process, and this must be the first parse.
let dir: string;
let path: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tlm-warm-"));
  path = join(dir, "memories.db");
  writeMemoriesDb(path, [{ id: "m1", text: "Email notifications go through Postmark", kind: "fact", entities: [], created_at: "2026-01-01T00:00:00Z" }],
    { bundleId: "w", schemaVersion: "1.0.0" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (): MemoryDatabase => {
  const o = MemoryDatabase.open(path);
  if (!o.ok) throw new Error(o.message);
  return o.db;
};

describe("thesaurus warm-up and a bundle replaced meanwhile", () => {
  it("a database closed between two chunks ends its warm-up with false, not a rejection; the next database parses the list", async () => {
    const first = open();
    const warming = first.warmThesaurus();
    first.retire();
    expect(first.isClosed).toBe(true);
    await expect(warming).resolves.toBe(false);
    const next = open();
    try {
      expect(next.query({ text: "mail", limit: 1 }).expansions).toEqual([{ word: "mail", with: ["email"] }]);
      expect(await next.warmThesaurus()).toBe(true);
    } finally {
      next.retire();
    }
  });
});
