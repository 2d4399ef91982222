import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import Database from "better-sqlite3";
import { fcParams } from "@recall/test-utils";
import { CJK_SEGMENTER, segmentCjk, words } from "../fts-query";
import { MemoryDatabase } from "../query-engine";
import { writeMemoriesDb } from "../memories-db";
import type { MemoryRecord } from "../records";

// The same class of characters the segmenter splits, written out again here so the test does not share its regex.
const CJK = /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}]/u;
const isCjkWord = (w: string) => CJK.test(w);

// Characters drawn for the properties: a few of each script (collisions make pairs repeat across memories), CJK
// punctuation, full-width and half-width forms, Latin letters and spaces.
const ALPHABET = [..."数据库迁移必须向后兼容审批代码备份生产", ..."データベースの移行は後方互換", ..."ﾃﾞｰﾀ", ..."데이터베이스마이그레이션검토",
  ..."。、「」・ー々", ..."ＡＢ１", "a", "b", "z", " ", " ", "-"];
const text = fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 40 }).map((cs) => cs.join(""));

describe("segmentCjk", () => {
  it("splits a run into characters and pairs for the index, pairs for a query; a lone character stays itself", () => {
    expect(words(segmentCjk("数据库", "index"))).toEqual(["数", "据", "库", "数据", "据库"]);
    expect(words(segmentCjk("数据库", "query"))).toEqual(["数据", "据库"]);
    expect(words(segmentCjk("库", "query"))).toEqual(["库"]);
    expect(words(segmentCjk("库", "index"))).toEqual(["库"]);
  });

  it("leaves text without CJK as it was (NFKC aside), cuts runs from Latin letters, and keeps punctuation out of runs", () => {
    expect(segmentCjk("Deploy billing-api on Fridays", "index")).toBe("Deploy billing-api on Fridays");
    expect(segmentCjk("ﬁle ＡＢ", "query")).toBe("file AB");
    expect(words(segmentCjk("the 数据库migration runbook", "query"))).toEqual(["the", "数据", "据库", "migration", "runbook"]);
    expect(words(segmentCjk("先加列再回填。", "query"))).toEqual(["先加", "加列", "列再", "再回", "回填"]);
    expect(words(segmentCjk("データベースの移行", "query"))).toContain("デー");
    expect(words(segmentCjk("ﾃﾞｰﾀ", "query"))).toEqual(["デー", "ータ"]);
    expect(words(segmentCjk("마이그레이션은 검토", "query"))).toEqual(["마이", "이그", "그레", "레이", "이션", "션은", "검토"]);
  });

  it("for any text: CJK words are one or two characters, the other words are untouched, and the index holds every query word", () => {
    fc.assert(fc.property(text, (s) => {
      const query = words(segmentCjk(s, "query"));
      const index = new Set(words(segmentCjk(s, "index")));
      for (const w of [...query, ...index]) if (isCjkWord(w)) expect(Array.from(w).length).toBeLessThanOrEqual(2);
      const others = words(s.normalize("NFKC").replace(new RegExp(CJK.source, "gu"), " "));
      expect(query.filter((w) => !isCjkWord(w))).toEqual(others);
      for (const w of query) expect(index.has(w)).toBe(true);
    }), fcParams({ numRuns: 300 }));
  });
});

describe("CJK memories through a built database", () => {
  let dir: string;
  let db: MemoryDatabase;
  const records: MemoryRecord[] = [
    ["zh-migrate", "数据库迁移必须向后兼容，先加列再回填。"], ["zh-review", "发布前需要两位工程师审批代码。"], ["zh-backup", "生产数据库每天凌晨三点备份。"],
    ["ja-migrate", "データベースの移行は後方互換でなければならない。"], ["ja-deploy", "本番環境へのデプロイは金曜日に禁止。"],
    ["ko-migrate", "데이터베이스 마이그레이션은 항상 검토를 받아야 합니다."], ["en-migrate", "Database migrations must be backward compatible."],
    ["mixed", "The 数据库migration runbook lives in the wiki."],
  ].map(([id, t]): MemoryRecord => ({ id: id!, text: t!, kind: "fact", entities: [], created_at: "2026-01-01T00:00:00Z" }));
  const ids = (q: string) => db.query({ text: q, limit: 10 }).results.map((r) => r.id);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tlm-cjk-"));
    writeMemoriesDb(join(dir, "memories.db"), records, { bundleId: "cjk", schemaVersion: "1.0.0" });
    const o = MemoryDatabase.open(join(dir, "memories.db"));
    if (!o.ok) throw new Error(o.message);
    db = o.db;
  });
  afterAll(async () => {
    db?.retire();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("records the segmenter, and a query for part of a Chinese, Japanese or Korean sentence finds it (the bounded path, exact)", () => {
    expect(db.meta.lex_segmenter).toBe(CJK_SEGMENTER);
    expect(db.bounded).toBe(true);
    expect(ids("迁移")).toEqual(["zh-migrate"]);
    expect(ids("备份")).toEqual(["zh-backup"]);
    expect(ids("审批")).toEqual(["zh-review"]);
    expect(ids("数据库").sort()).toEqual(["mixed", "zh-backup", "zh-migrate"]);
    expect(ids("数据库迁移")[0]).toBe("zh-migrate");
    expect(ids("データベース")).toEqual(["ja-migrate"]);
    expect(ids("ﾃﾞｰﾀﾍﾞｰｽ")).toEqual(["ja-migrate"]);
    expect(ids("デプロイ")).toEqual(["ja-deploy"]);
    expect(ids("마이그레이션")).toEqual(["ko-migrate"]);
    expect(ids("migration").sort()).toEqual(["en-migrate", "mixed"]);
    expect(db.lexicalCandidates({ text: "数据库迁移" }).exact).toBe(true);
  });

  it("a bundle built before the segmenter (no meta.lex_segmenter, CJK runs as whole tokens) answers as it always did", async () => {
    const old = join(dir, "old.db");
    await copyFile(join(dir, "memories.db"), old);
    const w = new Database(old);
    try {
      w.exec("DELETE FROM meta WHERE key = 'lex_segmenter'");
      w.exec("INSERT INTO memories_fts (memories_fts) VALUES ('rebuild')");
      w.exec("DROP TABLE lex_terms; DROP TABLE lex_doc_chunks; DROP TABLE lex_blobs");
    } finally {
      w.close();
    }
    const o = MemoryDatabase.open(old);
    if (!o.ok) throw new Error(o.message);
    try {
      expect(o.db.bounded).toBe(false);
      expect(o.db.query({ text: "迁移" }).results).toEqual([]);
      expect(o.db.query({ text: "数据库迁移必须向后兼容" }).results.map((r) => r.id)).toEqual(["zh-migrate"]);
    } finally {
      o.db.retire();
    }
  });

  it("any stretch of a memory's CJK run, one character or more, finds that memory", async () => {
    const corpus = fc.array(text, { minLength: 1, maxLength: 30 });
    let n = 0;
    await fc.assert(fc.asyncProperty(corpus, fc.nat(), fc.nat(), fc.nat(), async (texts, pick, from, len) => {
      const path = join(dir, `p${n++}.db`);
      const recs: MemoryRecord[] = texts.map((t, i) => ({ id: `m${i}`, text: t, kind: "fact", entities: [], created_at: "2026-01-01T00:00:00Z" }));
      writeMemoriesDb(path, recs, { bundleId: "p", schemaVersion: "1.0.0" });
      const o = MemoryDatabase.open(path);
      if (!o.ok) throw new Error(o.message);
      try {
        const target = pick % texts.length;
        const runs = texts[target]!.normalize("NFKC").match(/(?:(?=[\p{L}\p{N}])[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Hangul}])+/gu) ?? [];
        if (runs.length === 0) return;
        const run = Array.from(runs[from % runs.length]!);
        const start = from % run.length;
        const stretch = run.slice(start, start + 1 + (len % 6)).join("");
        const found = o.db.query({ text: stretch, limit: 100 }).results.map((r) => r.id);
        expect(found, `${stretch} in ${texts[target]}`).toContain(`m${target}`);
      } finally {
        o.db.retire();
        await rm(path, { force: true });
      }
    }), fcParams({ numRuns: 60 }));
  });
});
