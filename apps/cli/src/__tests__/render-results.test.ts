import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { makeOutput } from "../output";
import { renderResults, skipLabel, type EnvelopeLike } from "../render-results";

const long = "Connection storms after deploys exhausted Postgres connections; PgBouncer in transaction mode fixed it for good.";
const env: EnvelopeLike = {
  source: "sidecar",
  bundle_id: "20261126T090000Z",
  took_ms: 0.42,
  truncated: true,
  evidence_quality: "indexed",
  results: [
    { id: "mem-119", text: long, kind: "episode", entities: ["postgres", "billing-api"], created_at: "2026-02-17T10:00:00Z", source_ref: "pm/119", score: 7.031 },
    { id: "mem-029", text: "Invoices are immutable.", kind: "decision", entities: [], created_at: "2025-04-12T00:00:00Z", score: 12.5 },
  ],
};

function out(isTTY: boolean, columns = 60) {
  const s = Object.assign(new Writable({ write: (_c, _e, cb) => cb() }), { isTTY, columns });
  return makeOutput({ stdout: s, stderr: s, env: { NO_COLOR: "1" }, noColor: false, json: false });
}

describe("renderResults", () => {
  it("aligns rank, score, kind and date; prints whole texts in a pipe", () => {
    const lines = renderResults(env, out(false), { query: "postgres", elapsedMs: 12 });
    expect(lines[0]).toBe(`1   7.03  episode   2026-02-17  ${long}`);
    expect(lines[1]).toBe(`${" ".repeat(32)}postgres, billing-api  ·  pm/119  ·  mem-119`);
    expect(lines[2]).toBe("2  12.50  decision  2025-04-12  Invoices are immutable.");
    expect(lines[4]).toBe("2 results (truncated: raise --limit)  ·  bundle 20261126T090000Z  ·  0.4 ms in sidecar, 12 ms total");
  });

  it("cuts texts to the terminal width on a TTY", () => {
    const lines = renderResults(env, out(true, 60), { query: "postgres", elapsedMs: 12 });
    expect(lines[0]!.length).toBeLessThanOrEqual(60);
    expect(lines[0]!.endsWith("…")).toBe(true);
  });

  it("says so when nothing matches", () => {
    const lines = renderResults({ ...env, truncated: false, results: [] }, out(false), { query: "zebra", elapsedMs: 3 });
    expect(lines[0]).toBe('no memories match "zebra"');
  });
});

describe("renderResults: how each result matched", () => {
  it("a hybrid answer names each result's rank by words and by meaning, and says it was hybrid", () => {
    const hybrid: EnvelopeLike = {
      ...env, truncated: false, retrieval: "hybrid",
      results: [
        { ...env.results[0]!, score: 0.82, matched: { lexical_rank: 2, vector_rank: 1 } },
        { ...env.results[1]!, score: 0.4, matched: { vector_rank: 3 } },
      ],
    };
    const lines = renderResults(hybrid, out(false), { query: "db connections", elapsedMs: 5 });
    // Scores 0.82/0.40 are one column narrower than 12.50 above.
    expect(lines[1]).toBe(`${" ".repeat(31)}postgres, billing-api  ·  pm/119  ·  mem-119  ·  words #2 + meaning #1`);
    expect(lines[3]).toBe(`${" ".repeat(31)}mem-029  ·  meaning #3`);
    expect(lines[4]).toContain("hybrid: words + meaning");
  });

  it("a lexical-only answer with a skipped vector says why (escaped), and results without `matched` show no label", () => {
    const lines = renderResults({ ...env, retrieval: "lexical", vector_skipped_reason: "embedder_mismatch\u001b[2J" }, out(false), { query: "x", elapsedMs: 1 });
    expect(lines[1]).toBe(`${" ".repeat(32)}postgres, billing-api  ·  pm/119  ·  mem-119`);
    expect(lines[4]).toContain("words only: embedder_mismatch");
    expect(lines[4]).not.toContain("\u001b");
  });

  it("a known skip reason reads as words, with its code; an unknown one as sent, escaped", () => {
    const reasons = ["bundle_has_no_vectors", "embedder_mismatch", "dims_mismatch", "no_query_embedder", "embedder_failed", "embedder_timeout",
      "budget_exhausted", "query_vector_empty", "vectors_loading"];
    const meanings = new Set<string>();
    for (const reason of reasons) {
      const label = skipLabel(reason);
      expect(label).toMatch(new RegExp(`^words only: [a-z' ]+ \\(${reason}\\)$`));
      meanings.add(label.slice(0, label.indexOf(" (")));
    }
    expect(meanings.size).toBe(reasons.length);
    expect(skipLabel("query_vector_empty")).toBe("words only: no word the vectors know (query_vector_empty)");
    expect(skipLabel("something_new")).toBe("words only: something_new");
    expect(skipLabel("__proto__")).toBe("words only: __proto__");
    expect(skipLabel("constructor")).toBe("words only: constructor");
  });

  it("typo corrections show in the footer as the words searched, escaped", () => {
    const lines = renderResults({ ...env, corrections: [{ word: "deply", to: "deploy" }, { word: "pstgres\u001b[2J", to: "postgres" }] }, out(false),
      { query: "deply pstgres", elapsedMs: 1 });
    expect(lines.at(-1)).toContain("searched deply as deploy, pstgres");
    expect(lines.at(-1)).toContain("as postgres");
    expect(lines.at(-1)).not.toContain("\u001b");
    expect(renderResults(env, out(false), { query: "x", elapsedMs: 1 }).at(-1)).not.toContain("searched");
  });

  it("thesaurus expansions show in the footer as the other words also searched, escaped", () => {
    const lines = renderResults({ ...env, expansions: [{ word: "mail", with: ["email"] }, { word: "schema change\u001b[2J", with: ["migration", "ddl\u0007"] }] },
      out(false), { query: "mail schema change", elapsedMs: 1 });
    expect(lines.at(-1)).toContain("also searched mail as email, schema change");
    expect(lines.at(-1)).toContain("as migration/ddl");
    expect(lines.at(-1)).not.toContain("\u0007");
    expect(lines.at(-1)).not.toContain("\u001b");
    expect(renderResults(env, out(false), { query: "x", elapsedMs: 1 }).at(-1)).not.toContain("also searched");
  });
});
