import { describe, expect, it } from "vitest";
import { parseDuration } from "../duration";
import { generateCorpus } from "../corpus";
import { MemoryRecord } from "../records";
import { TlmMetrics } from "../metrics";
import { defaultBundleId } from "../build";
import { slugify } from "../markdown";
import { jsonLineLogger } from "../logger";

describe("parseDuration", () => {
  it("parses units and rejects junk", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("5s")).toBe(5000);
    expect(parseDuration("30d")).toBe(30 * 86_400_000);
    expect(parseDuration("250")).toBe(250);
    expect(parseDuration("soon")).toBeNull();
    expect(parseDuration("0s")).toBeNull();
  });
});

describe("generateCorpus", () => {
  it("is deterministic per seed and yields valid records", () => {
    const a = [...generateCorpus(200, 3)];
    expect([...generateCorpus(200, 3)]).toEqual(a);
    expect([...generateCorpus(200, 4)]).not.toEqual(a);
    for (const r of a) expect(MemoryRecord.safeParse(r).success).toBe(true);
    expect(new Set(a.map((r) => r.kind)).size).toBe(5);
  });
});

describe("TlmMetrics", () => {
  it("renders counters, a cumulative histogram and bundle info", () => {
    const m = new TlmMetrics();
    m.observeQuery(200, 0.0007, false);
    m.observeQuery(200, 0.02, true);
    m.observeQuery(400, 0, false);
    m.observeReload("changed");
    const text = m.render({ bundleId: 'b"1', schemaVersion: "1.0.0", compatibility: "compatible", memories: 9 }, 1, 3);
    expect(text).toContain('tlm_queries_total{status="200"} 2');
    expect(text).toContain('tlm_query_duration_seconds_bucket{le="0.001"} 1');
    expect(text).toContain('tlm_query_duration_seconds_bucket{le="0.025"} 2');
    expect(text).toContain("tlm_query_duration_seconds_count 2");
    expect(text).toContain("tlm_queries_truncated_total 1");
    expect(text).toContain('bundle_id="b\\"1"');
  });
});

describe("small helpers", () => {
  it("defaultBundleId is the UTC time as YYYYMMDDTHHMMSSZ", () => {
    expect(defaultBundleId(new Date("2026-11-26T08:00:05.123Z"))).toBe("20261126T080005Z");
  });
  it("slugify", () => {
    expect(slugify("Billing API: v2 — Rollout!")).toBe("billing-api-v2-rollout");
    expect(slugify("???")).toBe("section");
  });
  it("jsonLineLogger writes one JSON object per line and filters levels", () => {
    const lines: string[] = [];
    const log = jsonLineLogger((l) => lines.push(l), "info");
    log.debug({ a: 1 }, "hidden");
    log.warn({ event: "x" }, "shown");
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "warn", msg: "shown", event: "x" });
  });
});
