import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import Database from "better-sqlite3";
import { fcParams } from "@recall/test-utils";
import { knownWords, warmKnownWords, wordLookupBuilder, wordLookupFromLines } from "../embed/word-vectors";
import { MemoryDatabase } from "../query-engine";
import { writeMemoriesDb } from "../memories-db";
import type { MemoryRecord } from "../records";
import { FUNCTION_WORDS } from "../function-words";
import { COMPOUND_MAX_QUERY_WORDS, COMPOUND_MIN_PART, FIX_CACHE_SIZE, NUMERONYM_MIN_INNER, TYPO_MAX_LENGTH, TYPO_MIN_LENGTH, TypoCorrector, deletions, editDistance } from "../typo";

/** Optimal string alignment distance, the textbook full matrix (no cut-off), in code points. */
function osa(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

const nothingKnown = () => ({ has: () => false });
const letter = fc.constantFrom(..."abcdeéü");
const word = (min: number, max: number) => fc.array(letter, { minLength: min, maxLength: max }).map((cs) => cs.join(""));

describe("typo parts", () => {
  it("deletions: the word and each one-letter deletion, de-duplicated, by code point", () => {
    expect(deletions("abc")).toEqual(["abc", "bc", "ac", "ab"]);
    expect(deletions("aab")).toEqual(["aab", "ab", "aa"]);
    expect(deletions("ü")).toEqual(["ü", ""]);
  });

  it("editDistance equals the full optimal-string-alignment matrix, cut at max + 1", () => {
    fc.assert(fc.property(word(0, 7), word(0, 7), fc.integer({ min: 0, max: 3 }), (a, b, max) => {
      expect(editDistance(a, b, max)).toBe(Math.min(osa(a, b), max + 1));
      expect(editDistance(b, a, max)).toBe(editDistance(a, b, max));
    }), fcParams({ numRuns: 400 }));
  });

  it("wordLookupFromLines holds exactly the non-empty lines, whatever the bytes", () => {
    fc.assert(fc.property(fc.array(fc.oneof(word(0, 6), fc.string({ maxLength: 6 })), { maxLength: 60 }), fc.string({ maxLength: 6 }), (lines, probe) => {
      const clean = lines.map((l) => l.replace(/\n/g, ""));
      const set = wordLookupFromLines(Buffer.from(clean.join("\n"), "utf8"));
      const want = new Set(clean.filter((l) => l.length > 0));
      expect(set.size).toBe(want.size);
      for (const w of want) expect(set.has(w)).toBe(true);
      expect(set.has(probe)).toBe(probe.length > 0 && !probe.includes("\n") && want.has(probe));
    }), fcParams({ numRuns: 300 }));
  });

  it("built a slice at a time, the lookup is the same, whatever the slice size", () => {
    fc.assert(fc.property(fc.array(fc.oneof(word(0, 6), fc.string({ maxLength: 6 })), { maxLength: 60 }), fc.integer({ min: 1, max: 40 }), fc.string({ maxLength: 6 }), (lines, slice, probe) => {
      const bytes = Buffer.from(lines.map((l) => l.replace(/\n/g, "")).join("\n"), "utf8");
      const whole = wordLookupFromLines(bytes);
      const builder = wordLookupBuilder(bytes);
      let steps = 0;
      while (!builder.step(slice)) steps++;
      const sliced = builder.result();
      expect(sliced.size).toBe(whole.size);
      // Counting the lines, sizing the table, hashing the lines: about `slice` bytes a step each.
      expect(steps).toBeLessThanOrEqual(2 * Math.ceil(bytes.length / slice) + 2);
      for (const l of lines) expect(sliced.has(l)).toBe(whole.has(l));
      expect(sliced.has(probe)).toBe(whole.has(probe));
    }), fcParams({ numRuns: 300 }));
  });

  // Before any knownWords() call in this file: the list is read once per process.
  it("warmKnownWords builds the shipped list between turns of the event loop, and knownWords then returns it", async () => {
    let turns = 0;
    const warm = await warmKnownWords(async () => { turns++; await new Promise((r) => setImmediate(r)); }, undefined, 16 * 1024);
    expect(warm.size).toBe(60_000);
    expect(turns).toBeGreaterThan(10);
    expect(knownWords()).toBe(warm);
  });

  it("knownWords called while warmKnownWords is half way answers with the whole list, and the warm-up then resolves to that same list", async () => {
    // The list is already built by the test above: this checks the hand-over on a fresh module instance.
    vi.resetModules();
    const fresh = await import("../embed/word-vectors");
    let release!: () => void;
    let turns = 0;
    const warming = fresh.warmKnownWords(async () => { if (++turns === 3) await new Promise<void>((r) => { release = r; }); }, undefined, 4096);
    await vi.waitFor(() => expect(turns).toBe(3));
    const now = fresh.knownWords();
    expect(now.size).toBe(60_000);
    release();
    expect(await warming).toBe(now);
    expect(fresh.knownWords()).toBe(now);
  });

  it("knownWords reads the shipped table's 60 000 words (real words, not typos)", () => {
    const known = knownWords();
    expect(known.size).toBe(60_000);
    for (const w of ["stale", "clock", "looking", "notifications", "deploy"]) expect(known.has(w), w).toBe(true);
    for (const w of ["deply", "upgarde", "terrafrom", "notifcations", "scheam"]) expect(known.has(w), w).toBe(false);
  });
});

describe("typo correction over a built database", () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), "tlm-typo-")); });
  afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  const record = (id: string, text: string): MemoryRecord => ({ id, text, kind: "fact", entities: [], created_at: "2026-01-01T00:00:00Z" });
  let made = 0;
  /** A memories.db with one memory per word list, opened read-only for `check`, removed afterwards. */
  const withCorpus = async (texts: string[][], check: (raw: Database.Database) => void): Promise<void> => {
    const path = join(dir, `corpus${made++}.db`);
    writeMemoriesDb(path, texts.map((t, i) => record(`m${i}`, t.join(" "))), { bundleId: "p", schemaVersion: "1.0.0" });
    const raw = new Database(path, { readonly: true });
    try {
      check(raw);
    } finally {
      raw.close();
      await rm(path, { force: true });
    }
  };
  const open = (path: string): MemoryDatabase => {
    const o = MemoryDatabase.open(path);
    if (!o.ok) throw new Error(o.message);
    return o.db;
  };
  /** `<dir>/<name>.db` holding `records`, opened. */
  const build = (name: string, records: MemoryRecord[]): { path: string; db: MemoryDatabase } => {
    const path = join(dir, `${name}.db`);
    writeMemoriesDb(path, records, { bundleId: name, schemaVersion: "1.0.0" });
    return { path, db: open(path) };
  };

  it("any word one edit from a corpus word gets the corpus word at distance one that most memories hold (ties: first in order)", async () => {
    const edit = fc.record({ op: fc.constantFrom("insert", "delete", "substitute", "swap"), at: fc.nat(), ch: letter });
    await fc.assert(fc.asyncProperty(fc.array(fc.array(word(3, 8), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }), fc.nat(), edit,
      async (texts, pick, e) => {
        await withCorpus(texts, (raw) => {
          const vocab = raw.prepare("SELECT term, df FROM term_df").all() as { term: string; df: number }[];
          const source = vocab[pick % vocab.length]!.term;
          const cs = [...source];
          const at = e.at % (cs.length + 1);
          if (e.op === "insert") cs.splice(at, 0, e.ch);
          else if (e.op === "delete") cs.splice(Math.min(at, cs.length - 1), 1);
          else if (e.op === "substitute") cs[Math.min(at, cs.length - 1)] = e.ch;
          else if (cs.length > 1) { const i = Math.min(at, cs.length - 2); [cs[i], cs[i + 1]] = [cs[i + 1]!, cs[i]!]; }
          const typo = cs.join("");
          const got = new TypoCorrector(raw, nothingKnown).correct(typo);
          const eligible = (w: string) => [...w].length >= TYPO_MIN_LENGTH && [...w].length <= TYPO_MAX_LENGTH;
          const near = vocab.filter((v) => v.term !== typo && [...v.term].length >= TYPO_MIN_LENGTH - 1 && osa(typo, v.term) <= 1)
            .sort((a, b) => b.df - a.df || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
          expect(got, `${source} → ${typo}`).toBe(eligible(typo) ? near[0]?.term : undefined);
        });
      }), fcParams({ numRuns: 80 }));
  });

  it("queries: a typo is searched as the corpus word and the answer says so; real words, short words, digits and old bundles are left alone", async () => {
    const { path, db } = build("q", [
      record("deploy", "Deploy billing on Tuesdays with blue-green deploys"), record("state", "Terraform state lives in S3"),
      record("notify", "Push notifications go through Firebase"), record("v2", "release v2 uses http2 everywhere"),
    ]);
    try {
      expect(await db.warmTypos()).toBe(true);
      const q = (text: string) => db.query({ text, limit: 5 }, Number.POSITIVE_INFINITY, undefined, { expand: false });
      expect(q("deply billing")).toMatchObject({ corrections: [{ word: "deply", to: "deploy" }] });
      expect(q("deply billing").results.map((r) => r.id)).toEqual(["deploy"]);
      expect(q("notifcations").results.map((r) => r.id)).toEqual(["notify"]);
      expect(q("terrafrom stale")).toMatchObject({ corrections: [{ word: "terrafrom", to: "terraform" }] });
      expect(q("stale").corrections).toBeUndefined();
      expect(q("stat").corrections).toBeUndefined();
      expect(q("http3").corrections).toBeUndefined();
      // A correction that repeats another query word is one word.
      expect(db.lexicalCandidates({ text: "deploy deplyo" }).corrections).toEqual([{ word: "deplyo", to: "deploy" }]);
      expect(db.lexicalCandidates({ text: "deply" }, { correct: false })).toEqual({ ranked: [], truncated: false, exact: true });
      // A budget bounds the corrections too: past the deadline the words left are searched as typed (and the ranking says truncated).
      let ticks = 0;
      const clock = { now: () => ++ticks };
      const three = "deply notifcations terrafrom";
      expect(db.lexicalCandidates({ text: three }).corrections).toHaveLength(3);
      const cut = db.lexicalCandidates({ text: three }, { deadline: 1.5, clock });
      expect(cut.corrections).toEqual([{ word: "deply", to: "deploy" }]);
      expect(cut.truncated).toBe(true);
      expect(db.correctedText(three, 0, { now: () => 1 })).toBe(three);
      // What the query embedder embeds: the corrected words in place, everything else as typed.
      expect(db.correctedText("Deply billing, today!")).toBe("deploy billing, today!");
      expect(db.correctedText("How do I DEPLY? (billing)")).toBe("How do I deploy? (billing)");
      expect(db.correctedText("stale deploys")).toBe("stale deploys");
      expect(db.correctedText("")).toBe("");
      // A hybrid query corrects its text (correctedText, for the embedder), then searches it: the search reuses that
      // rewrite. What it finds is what a search alone finds, whatever came before it.
      const alone = (text: string) => db.lexicalCandidates({ text, limit: 5 });
      const fresh = alone(three);
      expect(db.correctedText(three)).toBe("deploy notifications terraform");
      expect(alone(three)).toEqual(fresh);
      expect(db.correctedText("deply billing")).toBe("deploy billing");
      expect(alone(three)).toEqual(fresh);
      expect(alone("deply billing")).toEqual(db.lexicalCandidates({ text: "deply billing", limit: 5 }));
      // A rewrite the deadline cut short is not kept: the search that follows, with time, corrects every word.
      let later = 0;
      expect(db.correctedText(three, 1.5, { now: () => ++later })).toBe("deploy notifcations terrafrom");
      expect(alone(three)).toEqual(fresh);
    } finally {
      db.retire();
    }
    const old = join(dir, "old.db");
    await copyFile(path, old);
    const w = new Database(old);
    w.exec("DROP TABLE lex_typos");
    w.close();
    const before = open(old);
    try {
      expect(await before.warmTypos()).toBe(false);
      expect(before.query({ text: "deply billing" }).corrections).toBeUndefined();
      expect(before.correctedText("deply billing")).toBe("deply billing");
    } finally {
      before.retire();
    }
  });

  it("compounds: split is the two-part cut whose rarer part most memories hold; joins are the adjacent pairs the corpus writes as one word", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(word(1, 6), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 20 }), word(0, 12),
      fc.array(word(1, 7), { minLength: 0, maxLength: 10 }), async (texts, probe, query) => {
        await withCorpus(texts, (raw) => {
          const df = new Map((raw.prepare("SELECT term, df FROM term_df").all() as { term: string; df: number }[]).map((r) => [r.term, r.df]));
          const corrector = new TypoCorrector(raw, nothingKnown);
          // Brute force: every cut, in order, keeping the first best.
          const cs = [...probe];
          let want: string | undefined;
          let best = -1;
          for (let i = COMPOUND_MIN_PART; cs.length >= 2 * COMPOUND_MIN_PART && i <= cs.length - COMPOUND_MIN_PART; i++) {
            const a = cs.slice(0, i).join("");
            const b = cs.slice(i).join("");
            if (!df.has(a) || !df.has(b)) continue;
            const m = Math.min(df.get(a)!, df.get(b)!);
            if (m > best) { best = m; want = `${a} ${b}`; }
          }
          expect(corrector.split(probe), probe).toBe([...probe].length <= TYPO_MAX_LENGTH ? want : undefined);
          // fix: a typo first, else a split; the same answer again from its memory.
          const fixed = corrector.correct(probe) ?? corrector.split(probe);
          expect(corrector.fix(probe)).toBe(fixed);
          expect(corrector.fix(probe)).toBe(fixed);
          const joins = query.length < 2 || query.length > COMPOUND_MAX_QUERY_WORDS ? [] : [...new Set(query.slice(1).flatMap((b, i) => {
            const a = query[i]!;
            const j = a + b;
            return !FUNCTION_WORDS.has(a) && [...a].length >= COMPOUND_MIN_PART && [...b].length >= COMPOUND_MIN_PART && [...j].length <= TYPO_MAX_LENGTH
              && df.has(j) && !query.includes(j) ? [j] : [];
          }))];
          expect(corrector.joins(query), query.join(" ")).toEqual(joins);
        });
      }), fcParams({ numRuns: 80 }));
  });

  it("queries: a closed compound no memory holds is searched as its parts, and written apart finds the closed form", async () => {
    const { path, db } = build("compound", [
      record("oncall", "The on-call engineer rotates weekly"), record("backup", "Nightly backup of the billing database"),
      record("hook", "Stripe webhook deliveries are retried"), record("web", "The web team owns the landing page"),
      record("domain", "Every service has its own domain name"), record("main", "Merges to main deploy to staging"),
      record("standup", "The daily stand up stays under ten minutes"),
      record("k8s", "Kubernetes upgrades go one minor version at a time"), record("keeps", "Staging keeps seven days of logs"),
    ]);
    try {
      await db.warmTypos();
      // Thesaurus expansions (expansion.test.ts) off: these cases are about the words themselves.
      const q = (text: string) => db.query({ text, limit: 5 }, Number.POSITIVE_INFINITY, undefined, { expand: false });
      expect(q("oncall")).toMatchObject({ corrections: [{ word: "oncall", to: "on call" }] });
      expect(db.correctedText("Oncall rota")).toBe("on call rota");
      // The embedded text is the text as searched: joined compounds are appended.
      expect(db.correctedText("Back up billing")).toBe("Back up billing backup");
      // Joins are found between words adjacent in the text, stop words included.
      expect(q("how do I back up").results[0]!.id).toBe("backup");
      expect(q("oncall").results[0]!.id).toBe("oncall");
      expect(q("back up").results[0]!.id).toBe("backup");
      expect(q("web hook").results[0]!.id).toBe("hook");
      // A numeronym no memory holds names the corpus word of its shape; "e2e" and "k3s" are names, left alone.
      expect(q("k8s upgrade")).toMatchObject({ corrections: [{ word: "k8s", to: "kubernetes" }] });
      expect(q("k8s upgrade").results[0]!.id).toBe("k8s");
      expect(q("e2e").corrections).toBeUndefined();
      expect(q("k3s").corrections).toBeUndefined();
      // Joins are not corrections: the answer lists none.
      expect(q("web hook").corrections).toBeUndefined();
      // A function word never starts a join: "do main" is not "domain".
      expect(q("do main").results.map((r) => r.id)).not.toContain("domain");
      // A real word is never split ("under" and "stand" are both corpus words; without the dictionary it would be).
      expect(q("understand").corrections).toBeUndefined();
      const raw = new Database(path, { readonly: true });
      try {
        expect(new TypoCorrector(raw, nothingKnown).split("understand")).toBe("under stand");
      } finally {
        raw.close();
      }
      expect(db.lexicalCandidates({ text: "oncall" }, { correct: false, expand: false }).ranked).toEqual([]);
    } finally {
      db.retire();
    }
  });

  it("numeronyms: first letter, count, last letter name the corpus word of that shape most memories hold; short counts and other shapes are left alone", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(word(1, 12), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 20 }), fc.nat(),
      fc.integer({ min: 0, max: 30 }), async (texts, pick, count) => {
        await withCorpus(texts, (raw) => {
          const vocab = (raw.prepare("SELECT term, df FROM term_df").all() as { term: string; df: number }[]);
          const corrector = new TypoCorrector(raw, nothingKnown);
          const brute = (first: string, inner: number, last: string) => vocab
            .filter((v) => { const cs = [...v.term]; return cs.length === inner + 2 && cs[0] === first && cs[cs.length - 1] === last; })
            .sort((a, b) => b.df - a.df || (a.term < b.term ? -1 : 1))[0]?.term;
          // A numeronym of a corpus word, and one of an arbitrary count.
          const source = [...vocab[pick % vocab.length]!.term];
          const first = source[0]!;
          const last = source[source.length - 1]!;
          for (const inner of [source.length - 2, count]) {
            const probe = `${first}${inner}${last}`;
            const want = /^\p{Ll}$/u.test(first) && /^\p{Ll}$/u.test(last) && inner >= NUMERONYM_MIN_INNER && inner + 2 <= TYPO_MAX_LENGTH
              ? brute(first, inner, last) : undefined;
            expect(corrector.numeronym(probe), probe).toBe(want);
          }
          for (const other of [`${first}${last}`, `${first}12`, `12${last}`, `${first}123${last}`, `${first}8${last}x`]) expect(corrector.numeronym(other), other).toBeUndefined();
        });
      }), fcParams({ numRuns: 80 }));
  });

  it("fix remembers at most FIX_CACHE_SIZE words, forgetting the oldest first", async () => {
    const path = join(dir, "fixcache.db");
    writeMemoriesDb(path, [record("a", "deploy billing on tuesdays")], { bundleId: "f", schemaVersion: "1.0.0" });
    const raw = new Database(path, { readonly: true });
    try {
      const corrector = new TypoCorrector(raw, nothingKnown);
      const memory = (corrector as unknown as { fixes: Map<string, string | null> }).fixes;
      expect(corrector.fix("deply")).toBe("deploy");
      for (let i = 0; i < FIX_CACHE_SIZE + 50; i++) corrector.fix(`zq${i.toString(36)}x`);
      expect(memory.size).toBe(FIX_CACHE_SIZE);
      expect(memory.has("deply")).toBe(false);
      expect(corrector.fix("deply")).toBe("deploy");
    } finally {
      raw.close();
    }
  });

  it("the typo index stays bounded: each word under itself and its deletions, nothing shorter than four letters", async () => {
    const path = join(dir, "size.db");
    const words = ["kubernetes", "terraform", "deploy", "cat", "a1b2c3", "postgres"];
    writeMemoriesDb(path, words.map((w, i) => record(`m${i}`, w)), { bundleId: "s", schemaVersion: "1.0.0" });
    const raw = new Database(path, { readonly: true });
    try {
      const rows = raw.prepare("SELECT del, word FROM lex_typos ORDER BY word, del").all() as { del: string; word: string }[];
      const indexed = [...new Set(rows.map((r) => r.word))].sort();
      expect(indexed).toEqual(["deploy", "kubernetes", "postgres", "terraform"]);
      for (const w of indexed) expect(rows.filter((r) => r.word === w).map((r) => r.del).sort()).toEqual(deletions(w).sort());
    } finally {
      raw.close();
    }
  });
});
