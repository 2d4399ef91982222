import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Agent } from "node:http";
import { ResponseEnvelope, Health, ErrorBody } from "@recall/protocol";
import { call, exampleRecords, installBundle, query, spawnTlm, stopChild, tempDir, waitHealthy, type TlmChild } from "./harness";

let dir: string;
let sock: string;
let tlm: TlmChild | undefined;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  dir = await tempDir();
  sock = join(dir, "run", "tlm.sock");
  await installBundle(join(dir, "root"), "20260101T000000Z", await exampleRecords());
  tlm = spawnTlm(["serve", "--socket", sock, "--bundle-root", join(dir, "root"), "--poll-interval", "0"]);
  await waitHealthy(tlm, sock);
});

afterAll(async () => {
  agent.destroy();
  await stopChild(tlm);
  await rm(dir, { recursive: true, force: true });
});

async function ids(intent: Record<string, unknown>): Promise<string[]> {
  const a = await query(sock, intent, agent);
  expect(a.status).toBe(200);
  const env = ResponseEnvelope.parse(a.json());
  return env.results.map((r) => r.id);
}

describe("tlm serve: health", () => {
  it("is ready and compatible with the installed bundle", async () => {
    const a = await call(sock, "GET", "/health");
    expect(a.status).toBe(200);
    const h = Health.parse(a.json());
    expect(h).toMatchObject({ protocol: 1, ready: true, compatibility: "compatible", bundle_id: "20260101T000000Z", schema_version: "1.0.0", supported_schema: "^1.0.0" });
    expect(h.pid).toBe(tlm!.child.pid);
  });
});

describe("tlm serve: relevance on examples/memories.jsonl", () => {
  const cases: [string, string][] = [
    ["how do we rotate the JWT signing key", "mem-126"],
    ["why did we stay on PostgreSQL instead of CockroachDB", "mem-001"],
    ["how long do access tokens and refresh tokens live", "mem-003"],
    ["which search engine replaced Elasticsearch", "mem-002"],
    ["invoice run executed twice after failover", "mem-105"],
    ["how should money amounts be stored", "mem-033"],
    ["who is on the platform team", "mem-064"],
    ["what happened when Postmark throttled password reset emails", "mem-098"],
    ["replay the dead-letter topic", "mem-128"],
    ["what is the SLO for the public API", "mem-049"],
    ["pull request size preferred by bob", "mem-070"],
    ["how to debug a crashlooping pod OOMKilled", "mem-136"],
    ["kafka partitions per topic", "mem-004"],
    ["CORS misconfiguration on auth-gateway", "mem-096"],
  ];
  it.each(cases)("%s → %s in the top 3", async (text, expected) => {
    const top = await ids({ text, limit: 3 });
    expect(top).toContain(expected);
  });

  it("answers an envelope with positive, descending scores", async () => {
    const a = await query(sock, { text: "postgres replica lag", limit: 5 }, agent);
    const env = ResponseEnvelope.parse(a.json());
    expect(env).toMatchObject({ source: "sidecar", bundle_id: "20260101T000000Z", truncated: false, evidence_quality: "indexed" });
    expect(env.results.length).toBe(5);
    const scores = env.results.map((r) => r.score);
    expect(scores.every((s) => s > 0)).toBe(true);
    expect([...scores].sort((x, y) => y - x)).toEqual(scores);
  });

  it("searches a misspelt word as the corpus word one edit away and says so in the envelope; a correct query has no corrections", async () => {
    const typo = ResponseEnvelope.parse((await query(sock, { text: "terrafrom modules", limit: 3 }, agent)).json());
    expect(typo.corrections).toEqual([{ word: "terrafrom", to: "terraform" }]);
    expect(typo.results.length).toBeGreaterThan(0);
    expect(typo.results[0]!.text.toLowerCase()).toContain("terraform");
    const right = ResponseEnvelope.parse((await query(sock, { text: "terraform modules", limit: 3 }, agent)).json());
    expect(right).not.toHaveProperty("corrections");
    expect(right.results.map((r) => r.id)).toEqual(typo.results.map((r) => r.id));
  });

  it("searches a word no memory says as the thesaurus's words for it and lists them in the envelope", async () => {
    // No memory says "mail"; mem-009 says "Email notifications are sent through Postmark".
    const env = ResponseEnvelope.parse((await query(sock, { text: "how is mail sent", limit: 5 }, agent)).json());
    expect(env.expansions?.find((e) => e.word === "mail")?.with).toContain("email");
    expect(env.results.map((r) => r.id)).toContain("mem-009");
    const plain = ResponseEnvelope.parse((await query(sock, { text: "postgres replica lag", limit: 5 }, agent)).json());
    for (const e of plain.expansions ?? []) expect(e.with.length).toBeGreaterThan(0);
  });
});

describe("tlm serve: filters", () => {
  it("kinds keeps only the given kinds", async () => {
    const a = await query(sock, { text: "postgres billing-api database", kinds: ["episode"], limit: 50 }, agent);
    const env = ResponseEnvelope.parse(a.json());
    expect(env.results.length).toBeGreaterThan(0);
    expect(env.results.every((r) => r.kind === "episode")).toBe(true);
  });

  it("entities requires every entity, case-insensitively", async () => {
    const a = await query(sock, { text: "billing postgres migration invoices", entities: ["Billing-API", "POSTGRES"], limit: 50 }, agent);
    const env = ResponseEnvelope.parse(a.json());
    expect(env.results.length).toBeGreaterThan(0);
    for (const r of env.results) {
      const lower = r.entities.map((e) => e.toLowerCase());
      expect(lower).toContain("billing-api");
      expect(lower).toContain("postgres");
    }
  });

  it("since and until bound created_at (inclusive; a bare until date covers its day)", async () => {
    const a = await query(sock, { text: "service database deploy search", since: "2025-06-01T00:00:00Z", until: "2025-12-31", limit: 100 }, agent);
    const env = ResponseEnvelope.parse(a.json());
    expect(env.results.length).toBeGreaterThan(0);
    for (const r of env.results) {
      expect(Date.parse(r.created_at)).toBeGreaterThanOrEqual(Date.parse("2025-06-01T00:00:00Z"));
      expect(Date.parse(r.created_at)).toBeLessThan(Date.parse("2026-01-01T00:00:00Z"));
    }
  });

  it("limit caps the results and defaults to 10", async () => {
    expect((await ids({ text: "service", limit: 2 })).length).toBe(2);
    expect((await ids({ text: "the service team database deploy postgres search" })).length).toBe(10);
  });

  it("text with no words, or FTS syntax, is safe", async () => {
    expect(await ids({ text: "!!! ??? ---" })).toEqual([]);
    const hostile = await ids({ text: 'NEAR(billing "api" OR) AND * ^ col:text -- ;DROP TABLE memories' });
    expect(Array.isArray(hostile)).toBe(true);
    expect((await ids({ text: "billing-api" })).length).toBeGreaterThan(0);
  });

  it("a budget_ms answer is a valid envelope", async () => {
    const a = await query(sock, { text: "service database", budget_ms: 1, limit: 100 }, agent);
    const env = ResponseEnvelope.parse(a.json());
    if (!env.truncated) expect(env.results.length).toBeGreaterThan(0);
    expect(typeof env.truncated).toBe("boolean");
  });
});

describe("tlm serve: bad requests", () => {
  it("400 with zod issues for an invalid intent", async () => {
    const a = await query(sock, { text: "", limit: 1000, kind: ["fact"] }, agent);
    expect(a.status).toBe(400);
    const body = ErrorBody.parse(a.json());
    expect(body.error.code).toBe("bad_request");
    const paths = (body.error.issues as { path: unknown[] }[]).map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["text", "limit"]));
  });

  it("400 for malformed JSON", async () => {
    const a = await call(sock, "POST", "/query", "{not json", agent);
    expect(a.status).toBe(400);
    expect(a.json().error.code).toBe("bad_request");
  });

  it("404 for unknown routes, 405 with Allow for wrong methods", async () => {
    const a = await call(sock, "GET", "/nope", undefined, agent);
    expect(a.status).toBe(404);
    expect(a.json().error.code).toBe("not_found");
    const b = await call(sock, "GET", "/query", undefined, agent);
    expect(b.status).toBe(405);
    expect(b.headers.allow).toBe("POST");
    const c = await call(sock, "POST", "/health", "{}", agent);
    expect(c.status).toBe(405);
    expect(c.headers.allow).toBe("GET");
  });

  it("413 for a body over 64 KiB, declared or streamed", async () => {
    const big = JSON.stringify({ text: "x".repeat(70 * 1024) });
    const a = await call(sock, "POST", "/query", big);
    expect(a.status).toBe(413);
    expect(a.json().error.code).toBe("payload_too_large");
    const b = await call(sock, "POST", "/query", big, undefined, { "transfer-encoding": "chunked" });
    expect(b.status).toBe(413);
    const h = await call(sock, "GET", "/health");
    expect(h.status).toBe(200);
  });
});

describe("tlm serve: metrics", () => {
  it("exposes Prometheus text with queries, latency, reloads and bundle info", async () => {
    await query(sock, { text: "kafka" }, agent);
    const a = await call(sock, "GET", "/metrics", undefined, agent);
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toContain("text/plain");
    expect(a.text).toMatch(/^tlm_queries_total\{status="200"\} [1-9]\d*$/m);
    expect(a.text).toMatch(/^tlm_queries_total\{status="400"\} [1-9]\d*$/m);
    expect(a.text).toMatch(/^tlm_query_duration_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
    expect(a.text).toMatch(/^tlm_reloads_total\{outcome="changed"\} 1$/m);
    expect(a.text).toContain('tlm_bundle_info{bundle_id="20260101T000000Z",schema_version="1.0.0",compatibility="compatible"} 1');
    expect(a.text).toMatch(/^tlm_bundle_memories 199$/m);
  });
});
