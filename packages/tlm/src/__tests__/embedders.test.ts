import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dot } from "../embed/embedder";
import { embeddingsUrl, parseEmbeddings } from "../embed/http-embedder";
import { SIF_RANK, STATIC_EMBEDDER_ID, StaticWordEmbedder, embedTokens } from "../embed/static-embedder";
import { FUNCTION_WORDS } from "../function-words";
import { defaultWordVectorsPath, knownWords, loadWordVectors, wordVectorsFromBytes } from "../embed/word-vectors";
import { hasDirection, planQueryVector } from "../hybrid";
import type { VectorIndexInfo } from "../vector-index";

describe("offline word-vector embedder", () => {
  const e = new StaticWordEmbedder();

  it("loads the shipped table: 100-d, tens of thousands of words, frequency-ranked", () => {
    const t = loadWordVectors();
    expect(t.dims).toBe(100);
    expect(t.count).toBeGreaterThan(50_000);
    expect(t.index.get("the")).toBeLessThan(5);
    expect(t.index.get("database")).toBeDefined();
  });

  it("is deterministic, unit length, and puts related words closer than unrelated ones", () => {
    const a = e.embedOne("email provider");
    expect(e.embedOne("email provider")).toEqual(a);
    expect(dot(a, a)).toBeCloseTo(1, 5);
    expect(dot(e.embedOne("mail delivery service"), a)).toBeGreaterThan(dot(e.embedOne("kubernetes node pool"), a));
    expect(dot(e.embedOne("approve schema change"), e.embedOne("review database migration")))
      .toBeGreaterThan(dot(e.embedOne("approve schema change"), e.embedOne("dark mode for the mobile app")));
  });

  it("down-weights frequent words (SIF): adding 'the of and' barely moves a text", () => {
    expect(SIF_RANK).toBeGreaterThan(0);
    expect(dot(e.embedOne("the of and database replica lag"), e.embedOne("database replica lag"))).toBeGreaterThan(0.98);
  });

  it("unknown or empty text embeds to the zero vector, and tokens split names and lower-case", () => {
    expect([...e.embedOne("zzqxv qqzzv")].every((x) => x === 0)).toBe(true);
    expect(embedTokens("Billing-API uses PostgreSQL 16!")).toEqual(["billing", "api", "uses", "postgresql", "16"]);
    expect(e.id).toBe(STATIC_EMBEDDER_ID);
  });

  it("a query vector needs a content word: texts of only function words or unknown tokens get none, any other text its embedOne", () => {
    const t = loadWordVectors();
    const contentWords = [...t.index.keys()].filter((w) => !FUNCTION_WORDS.has(w));
    const common = fc.constantFrom(...FUNCTION_WORDS);
    const content = fc.constantFrom(...contentWords);
    const unknown = fc.constantFrom("x", "k8s", "zzqxv", "😀", "?", "getuserbyid", "", "—", "c++");
    const filler = fc.array(fc.oneof(common, unknown), { maxLength: 12 });
    const zero = (v: Float32Array) => v.every((x) => x === 0);
    fc.assert(fc.property(filler, (ws) => zero(e.embedQuery(ws.join(" "))) && !hasDirection(e.embedQuery(ws.join(" ")))), { numRuns: 300 });
    fc.assert(fc.property(filler, content, fc.nat(), (ws, w, at) => {
      const text = [...ws.slice(0, at % (ws.length + 1)), w, ...ws.slice(at % (ws.length + 1))].join(" ");
      const q = e.embedQuery(text);
      expect(hasDirection(q)).toBe(true);
      expect(q).toEqual(e.embedOne(text));
    }), { numRuns: 300 });
    // Most function words are frequent, and the most frequent words of the table are nearly all function words.
    expect([...FUNCTION_WORDS].filter((w) => t.index.has(w)).length).toBeGreaterThan(FUNCTION_WORDS.size * 0.9);
    expect(zero(e.embedQuery("What is it? How do we…"))).toBe(true);
    expect(zero(e.embedQuery("And why is that so?"))).toBe(true);
    expect(zero(e.embedQuery("Who should I ask, and why?"))).toBe(false);
    expect(zero(e.embedQuery("what is our email vendor"))).toBe(false);
  });

  it("from a warm-up's bytes, the word index (over the file's bytes) gives every word the row loadWordVectors gives it", async () => {
    const t = loadWordVectors();
    const bytes = readFileSync(defaultWordVectorsPath());
    const warm = await wordVectorsFromBytes(bytes, "/elsewhere/word-vectors.bin", 4096);
    expect(warm.index.size).toBe(t.index.size);
    for (const [w, i] of t.index) if (warm.index.get(w) !== i) expect(warm.index.get(w), w).toBe(i);
    for (const w of ["", "zzqxv", "deploy\nrollback", "Deploy", "k8s", "😀"]) expect(warm.index.get(w)).toBe(t.index.get(w));
    const a = new StaticWordEmbedder(warm);
    for (const text of ["who signs off on database migrations", "transactional mail provider", "Postmark 😀 k8s"]) expect(a.embedOne(text)).toEqual(e.embedOne(text));
    // The shipped table, once the typo list is read, shares its lookup instead of hashing the words again: same rows.
    const shared = await wordVectorsFromBytes(bytes, defaultWordVectorsPath());
    expect(shared.index).toBe(knownWords());
    for (const w of ["deploy", "the", "postgresql", "zzqxv"]) expect(shared.index.get(w)).toBe(t.index.get(w));
    // A table whose words do not match its row count is refused.
    const short = Buffer.from(bytes.subarray(0, bytes.length - 20));
    await expect(wordVectorsFromBytes(short, "/x/short.bin")).rejects.toThrow(/words for/);
  });

  it("coverage: the share of a query's content weight the table knows, 0 without content, 1 when it knows every content word", () => {
    const t = loadWordVectors();
    const contentWords = [...t.index.keys()].filter((w) => !FUNCTION_WORDS.has(w));
    const known = fc.constantFrom(...contentWords);
    const unknown = fc.constantFrom("pgbouncer", "k8s", "terrafrom", "zzqxv", "svc");
    const fn = fc.constantFrom(...FUNCTION_WORDS);
    const weight = (w: string) => { const r = t.index.get(w)!; return (r + 1) / (r + 1 + SIF_RANK); };
    fc.assert(fc.property(fc.array(known, { minLength: 1, maxLength: 6 }), fc.array(unknown, { maxLength: 4 }), fc.array(fn, { maxLength: 4 }),
      (ks, us, fs) => {
        const c = e.coverage([...fs, ...ks, ...us].join(" "));
        const k = [...ks].reduce((a, w) => a + weight(w), 0);
        expect(c).toBeCloseTo(k / (k + us.length), 9);
        expect(c).toBeGreaterThan(0);
        expect(c).toBeLessThanOrEqual(1);
        if (us.length === 0) expect(c).toBeCloseTo(1, 12);
        else expect(e.coverage([...ks, ...us, "pgbouncer"].join(" "))).toBeLessThan(c);
      }), { numRuns: 300 });
    expect(e.coverage("")).toBe(0);
    expect(e.coverage("what is it")).toBe(0);
    expect(e.coverage("k8s svc")).toBe(0);
  });

  it("hasDirection: finite and not all zeros", () => {
    expect(hasDirection([0, 0, 0])).toBe(false);
    expect(hasDirection([])).toBe(false);
    expect(hasDirection([0, -0, 1e-30])).toBe(true);
    expect(hasDirection([1, Number.NaN])).toBe(false);
    expect(hasDirection([Number.POSITIVE_INFINITY, 0])).toBe(false);
  });

  it("a missing or malformed table is TLM_EMBEDDER_UNAVAILABLE", () => {
    const dir = mkdtempSync(join(tmpdir(), "tlm-wv-"));
    try {
      expect(() => loadWordVectors(join(dir, "none.bin"))).toThrow(expect.objectContaining({ code: "TLM_EMBEDDER_UNAVAILABLE" }));
      writeFileSync(join(dir, "bad.bin"), "RCWV\x01\x00\x64\x00\xff\xff\xff\x00");
      expect(() => loadWordVectors(join(dir, "bad.bin"))).toThrow(/truncated/);
      writeFileSync(join(dir, "foreign.bin"), "not a table at all");
      expect(() => loadWordVectors(join(dir, "foreign.bin"))).toThrow(/RCWV/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("endpoint answers", () => {
  it("resolves the embeddings URL from a base or a full URL", () => {
    expect(embeddingsUrl("http://127.0.0.1:11434").href).toBe("http://127.0.0.1:11434/v1/embeddings");
    expect(embeddingsUrl("http://h/api/").href).toBe("http://h/api/v1/embeddings");
    expect(embeddingsUrl("http://h/v1/embeddings").href).toBe("http://h/v1/embeddings");
  });

  it("accepts OpenAI-shaped answers (any index order) and normalises", () => {
    const out = parseEmbeddings(JSON.stringify({ data: [{ index: 1, embedding: [0, 2] }, { index: 0, embedding: [3, 4] }] }), 2);
    expect([...out[0]!]).toEqual([0.6, 0.8].map((x) => Math.fround(x)));
    expect([...out[1]!]).toEqual([0, 1]);
  });

  it.each([
    ["not JSON", "{"],
    ["wrong count", JSON.stringify({ data: [{ embedding: [1] }] })],
    ["ragged", JSON.stringify({ data: [{ embedding: [1, 2] }, { embedding: [1] }] })],
    ["non-finite", JSON.stringify({ data: [{ embedding: [1, "x"] }, { embedding: [1, 2] }] })],
    ["duplicate index", JSON.stringify({ data: [{ index: 0, embedding: [1] }, { index: 0, embedding: [1] }] })],
    ["empty vector", JSON.stringify({ data: [{ embedding: [] }, { embedding: [] }] })],
  ])("refuses a malformed answer: %s", (_why, body) => {
    expect(() => parseEmbeddings(body, 2)).toThrow(expect.objectContaining({ code: "TLM_EMBEDDER_UNAVAILABLE" }));
  });
});

describe("planQueryVector", () => {
  const info: VectorIndexInfo = { format: 1, embedder: STATIC_EMBEDDER_ID, dims: 3, count: 10, lists: 1 };
  const other = { id: "openai-compatible:m", embed: () => Promise.resolve([]) };
  const mine = { id: STATIC_EMBEDDER_ID, embed: () => Promise.resolve([]) };

  it("never mixes embedders and says why", () => {
    expect(planQueryVector({}, null, [mine])).toEqual({ kind: "lexical" });
    expect(planQueryVector({ vector: { embedder: STATIC_EMBEDDER_ID, values: [1, 2, 3] } }, null, [])).toEqual({ kind: "lexical", reason: "bundle_has_no_vectors" });
    expect(planQueryVector({ vector: { embedder: "x", values: [1, 2, 3] } }, info, [mine])).toEqual({ kind: "lexical", reason: "embedder_mismatch" });
    expect(planQueryVector({ vector: { embedder: STATIC_EMBEDDER_ID, values: [1, 2] } }, info, [mine])).toEqual({ kind: "lexical", reason: "dims_mismatch" });
    expect(planQueryVector({ vector: { embedder: STATIC_EMBEDDER_ID, values: [1, 2, 3] } }, info, [])).toEqual({ kind: "vector", values: [1, 2, 3] });
    expect(planQueryVector({}, info, [other])).toEqual({ kind: "lexical", reason: "no_query_embedder" });
    expect(planQueryVector({}, info, [other, mine])).toEqual({ kind: "embed", embedder: mine });
  });
});
