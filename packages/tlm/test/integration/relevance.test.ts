import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MemoryDatabase, StaticWordEmbedder, VectorSide, buildBundle, hybridQuery, parseJsonl, type MemoryRecord,
} from "../../dist/index.js";

const run = promisify(execFile);
const EXAMPLES = fileURLToPath(new URL("../../../../examples/memories.jsonl", import.meta.url));
const SETS = fileURLToPath(new URL("../relevance/", import.meta.url));

interface Case { q: string; id: string }
interface Score { recall5: number; mrr: number }

async function loadSet(name: string): Promise<Case[]> {
  return (await readFile(join(SETS, `${name}.jsonl`), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Case);
}

/** recall@5 and MRR (rank beyond the list counts 0) of ranked id lists against the expected ids. */
function score(cases: readonly Case[], ranked: readonly string[][]): Score {
  let hits = 0;
  let rr = 0;
  cases.forEach((c, i) => {
    const rank = ranked[i]!.indexOf(c.id) + 1;
    if (rank > 0 && rank <= 5) hits++;
    if (rank > 0) rr += 1 / rank;
  });
  return { recall5: hits / cases.length, mrr: rr / cases.length };
}

/**
 * Measured on this corpus with the shipped embedder (deterministic), rounded down to 3 decimals: any ranking change
 * that loses one query's rank on any set fails here. `paraphrase` is the set fusion was tuned on; `paraphrase-heldout`
 * was written before the late-interaction/expansion experiments (packages/tlm/README.md) and never tuned on.
 * `rare-terms`: for each memory holding a word the word table lacks, that word and one it knows, drawn with a fixed
 * seed (a memory's own technical term: "pgbouncer transaction"); it measures what the vectors do to exact-term queries.
 * `typos`: each query of the three sets above with one word of ≥ 6 letters misspelt by one edit (fixed seed); the
 * lexical search corrects it, and the vectors embed the corrected text.
 * `paraphrase-blind`: 100 queries (one per memory, every second id) written by someone who had read neither the other
 * sets nor the thesaurus (assets/thesaurus.txt), itself written without reading the corpus or any set; each shares at
 * most one content word with its memory. The thesaurus weight was chosen after scoring it, so it is blind to the
 * thesaurus's words, not to that one weight (packages/tlm/README.md).
 * `paraphrase-blind2`: 100 more such queries (one per odd id), written the same way by someone else after the thesaurus
 * weight was chosen, and scored once to decide whether the thesaurus's second edition (367 more groups, written without
 * reading the corpus or any set) ships: nothing was tuned on it.
 * `paraphrase-multi`: 78 queries (ids N with N % 5 in {0, 3}; one, word for word a query of the tuned set, dropped), written by a helper who read only the corpus (no set, no
 * thesaurus), each re-wording at least two separate concepts of its memory (abbreviations both ways, synonyms, more
 * general terms: "k8s min/max worker count and EC2 instance size in prod"); 56 share no word with their memory, 23 one.
 * Written to test a change to the thesaurus expansion (its word cap shared fairly between a query's phrases, words the
 * corpus lacks not counted): it gained two queries here on lexical but lowered hybrid MRR (0.384 → 0.371) and lost one
 * or two on the blind sets, so it did not ship (docs/BENCHMARKS.md, round ten); nothing was tuned on this set.
 * Raise a floor when a change measurably lifts it; lower one only with the reason in the commit.
 */
const FLOORS: Record<string, { lexical: Score; hybrid: Score }> = {
  paraphrase: { lexical: { recall5: 0.537, mrr: 0.396 }, hybrid: { recall5: 0.597, mrr: 0.466 } },
  "paraphrase-heldout": { lexical: { recall5: 0.826, mrr: 0.72 }, hybrid: { recall5: 0.826, mrr: 0.696 } },
  "paraphrase-blind": { lexical: { recall5: 0.48, mrr: 0.333 }, hybrid: { recall5: 0.51, mrr: 0.333 } },
  "paraphrase-blind2": { lexical: { recall5: 0.43, mrr: 0.298 }, hybrid: { recall5: 0.48, mrr: 0.315 } },
  lexical: { lexical: { recall5: 1, mrr: 1 }, hybrid: { recall5: 1, mrr: 1 } },
  "rare-terms": { lexical: { recall5: 1, mrr: 0.943 }, hybrid: { recall5: 1, mrr: 0.938 } },
  typos: { lexical: { recall5: 0.682, mrr: 0.559 }, hybrid: { recall5: 0.72, mrr: 0.589 } },
  "paraphrase-multi": { lexical: { recall5: 0.474, mrr: 0.344 }, hybrid: { recall5: 0.5, mrr: 0.375 } },
};

describe("relevance: lexical vs hybrid on the examples corpus", () => {
  let work: string;
  let db: MemoryDatabase;
  let side: VectorSide;
  const embedder = new StaticWordEmbedder();
  let records: MemoryRecord[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "tlm-rel-"));
    records = parseJsonl(await readFile(EXAMPLES, "utf8"));
    const built = await buildBundle({ records, outDir: join(work, "pub"), bundleId: "rel", embedder });
    await run("tar", ["-xzf", built.archivePath, "-C", work]);
    const opened = MemoryDatabase.open(join(work, "memories.db"));
    if (!opened.ok) throw new Error(opened.message);
    db = opened.db;
    side = new VectorSide(db.path);
  });

  afterAll(async () => {
    side?.close();
    db?.retire();
    if (work) await rm(work, { recursive: true, force: true });
  });

  // As tlm serve does (hybrid.ts QueryVectors.resolve): the vector of the text as the lexical search corrected it,
  // and the share of it the word table knows.
  const rank = (c: Case, hybrid: boolean): string[] => {
    const text = db.correctedText(c.q);
    return hybridQuery(db, side, { text: c.q, limit: 10 }, hybrid ? embedder.embedQuery(text) : null, Number.POSITIVE_INFINITY, undefined,
      embedder.coverage(text)).results.map((r) => r.id);
  };

  it("the paraphrase sets are what they claim: ≥ 60 tuned, ≥ 40 held-out, two sets of ≥ 100 blind queries and one of ≥ 75 multi-concept ones (one per memory each) over a corpus of ≥ 150 memories, every expected id exists, no query in both", async () => {
    const tuned = await loadSet("paraphrase");
    const heldout = await loadSet("paraphrase-heldout");
    const blind = await loadSet("paraphrase-blind");
    const blind2 = await loadSet("paraphrase-blind2");
    const multi = await loadSet("paraphrase-multi");
    expect(tuned.length).toBeGreaterThanOrEqual(60);
    expect(heldout.length).toBeGreaterThanOrEqual(40);
    expect(multi.length).toBeGreaterThanOrEqual(75);
    for (const set of [blind, blind2, multi]) {
      if (set !== multi) expect(set.length).toBeGreaterThanOrEqual(100);
      expect(new Set(set.map((c) => c.id)).size).toBe(set.length);
    }
    expect(records.length).toBeGreaterThanOrEqual(150);
    const ids = new Set(records.map((r) => r.id));
    for (const c of [...tuned, ...heldout, ...blind, ...blind2, ...multi]) expect(ids.has(c.id), c.id).toBe(true);
    const seen = new Set(tuned.map((c) => c.q));
    for (const c of [...heldout, ...blind, ...blind2, ...multi]) expect(seen.has(c.q), c.q).toBe(false);
    // The two paraphrases the hybrid issue names are part of the tuned set.
    expect(tuned).toEqual(expect.arrayContaining([
      { q: "transactional mail provider", id: "mem-009" }, { q: "who has to approve schema changes", id: "mem-010" },
    ]));
  });

  it("hybrid beats lexical on paraphrases, keeps exact-word queries at the top, and no set falls below its measured floor", async () => {
    const table: string[] = ["| set | queries | lexical recall@5 | lexical MRR | hybrid recall@5 | hybrid MRR |", "|---|---|---|---|---|---|"];
    const result: Record<string, { lexical: Score; hybrid: Score }> = {};
    for (const name of Object.keys(FLOORS)) {
      const cases = await loadSet(name);
      const lexical = score(cases, cases.map((c) => rank(c, false)));
      const hybrid = score(cases, cases.map((c) => rank(c, true)));
      result[name] = { lexical, hybrid };
      table.push(`| ${name} | ${cases.length} | ${lexical.recall5.toFixed(3)} | ${lexical.mrr.toFixed(3)} | ${hybrid.recall5.toFixed(3)} | ${hybrid.mrr.toFixed(3)} |`);
    }
    process.stdout.write(`${table.join("\n")}\n`);
    for (const [name, floor] of Object.entries(FLOORS)) {
      for (const side of ["lexical", "hybrid"] as const) {
        expect(result[name]![side].recall5, `${name} ${side} recall@5`).toBeGreaterThanOrEqual(floor[side].recall5);
        expect(result[name]![side].mrr, `${name} ${side} MRR`).toBeGreaterThanOrEqual(floor[side].mrr);
      }
    }
    const p = result.paraphrase!;
    const b = result["paraphrase-blind"]!;
    const b2 = result["paraphrase-blind2"]!;
    const l = result.lexical!;
    expect(p.hybrid.recall5).toBeGreaterThan(p.lexical.recall5);
    expect(p.hybrid.mrr).toBeGreaterThan(p.lexical.mrr);
    expect(b.hybrid.recall5).toBeGreaterThan(b.lexical.recall5);
    expect(b2.hybrid.recall5).toBeGreaterThan(b2.lexical.recall5);
    expect(b2.hybrid.mrr).toBeGreaterThan(b2.lexical.mrr);
    // On the first blind set the words with the thesaurus tie the fused ranking on MRR (0.334), and on the held-out set
    // they match it on recall@5 (0.826) and beat it on MRR (0.720 against 0.697); the floors above hold both.
    expect(b.hybrid.mrr).toBeGreaterThanOrEqual(b.lexical.mrr);
    // Exact words stay on top either way.
    expect(l.hybrid.recall5).toBe(1);
    // A term the word vectors do not know (pgbouncer, terraform, svc) is not drowned by the words around it they do know
    // (0.006 below lexical: a rank on queries whose other word the thesaurus expands, e.g. "paged channels").
    const r = result["rare-terms"]!;
    expect(r.hybrid.mrr).toBeGreaterThanOrEqual(r.lexical.mrr - 0.02);
    const m = result["paraphrase-multi"]!;
    expect(m.hybrid.recall5).toBeGreaterThan(m.lexical.recall5);
    expect(m.hybrid.mrr).toBeGreaterThan(m.lexical.mrr);
    const t = result.typos!;
    expect(t.hybrid.recall5).toBeGreaterThan(t.lexical.recall5);
    expect(t.hybrid.mrr).toBeGreaterThan(t.lexical.mrr);
  });

  it("every hybrid result says how it matched, and fusion keeps filters", () => {
    const text = "annual plan discount";
    const out = hybridQuery(db, side, { text, limit: 10, kinds: ["decision"] }, embedder.embedOne(text), Number.POSITIVE_INFINITY);
    expect(out.retrieval).toBe("hybrid");
    expect(out.results.length).toBeGreaterThan(0);
    for (const r of out.results) {
      expect(r.kind).toBe("decision");
      expect(r.matched?.lexical_rank ?? r.matched?.vector_rank).toBeGreaterThan(0);
    }
    expect(out.results.some((r) => r.matched?.vector_rank !== undefined && r.matched.lexical_rank === undefined)).toBe(true);
  });
});
