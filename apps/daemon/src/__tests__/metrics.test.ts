import { describe, expect, it } from "vitest";
import { register as globalRegistry } from "prom-client";
import { DaemonMetrics, type MetricsSnapshot } from "../metrics";

function sample(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `) || (labels === "" && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

describe("DaemonMetrics", () => {
  it("reads status, restarts and bundle info from the snapshot at scrape time", async () => {
    let snap: MetricsSnapshot = { status: "initializing", sidecar: { restarts: 0 }, bundle: { bundle_id: null, schema_version: null } };
    const m = new DaemonMetrics({ snapshot: () => snap, defaultMetrics: false });
    let text = await m.metrics();
    expect(sample(text, "recall_daemon_status", '{status="initializing"}')).toBe(1);
    expect(sample(text, "recall_daemon_status", '{status="ready"}')).toBe(0);
    expect(text).not.toContain("recall_bundle_info{");

    snap = { status: "ready", sidecar: { restarts: 2 }, bundle: { bundle_id: "20261126T080000Z", schema_version: "1.0.0" } };
    text = await m.metrics();
    expect(sample(text, "recall_daemon_status", '{status="ready"}')).toBe(1);
    expect(sample(text, "recall_daemon_status", '{status="initializing"}')).toBe(0);
    expect(sample(text, "recall_sidecar_restarts_total")).toBe(2);
    expect(sample(text, "recall_bundle_info", '{bundle_id="20261126T080000Z",schema_version="1.0.0"}')).toBe(1);

    snap = { status: "ready", sidecar: { restarts: 3 }, bundle: { bundle_id: "20261127T080000Z", schema_version: "1.1.0" } };
    text = await m.metrics();
    expect(sample(text, "recall_sidecar_restarts_total")).toBe(3);
    expect(text).not.toContain('bundle_id="20261126T080000Z"');
    expect(sample(text, "recall_bundle_expired")).toBe(0);

    // an expired bundle is still served: status ready, the gauge says expired
    snap = { status: "ready", sidecar: { restarts: 3 }, bundle: { bundle_id: "20261127T080000Z", schema_version: "1.1.0", expired: true } };
    text = await m.metrics();
    expect(sample(text, "recall_bundle_expired")).toBe(1);
    expect(sample(text, "recall_daemon_status", '{status="ready"}')).toBe(1);
  });

  it("counts pulls by outcome with duration and bytes, and query latency by class", async () => {
    const m = new DaemonMetrics({ defaultMetrics: false });
    m.recordPull("installed", 1500, 4096);
    m.recordPull("installed", 200, 100);
    m.recordPull("unchanged", 50, 0);
    m.recordQuery("ok", 0.4);
    m.recordQuery("unavailable", 0.01);
    const text = await m.metrics();
    expect(sample(text, "recall_pulls_total", '{outcome="installed"}')).toBe(2);
    expect(sample(text, "recall_pulls_total", '{outcome="unchanged"}')).toBe(1);
    expect(sample(text, "recall_pull_bytes_total")).toBe(4196);
    expect(sample(text, "recall_pull_duration_seconds_count")).toBe(3);
    expect(sample(text, "recall_pull_duration_seconds_sum")).toBeCloseTo(1.75);
    expect(sample(text, "recall_query_duration_seconds_count", '{class="ok"}')).toBe(1);
    expect(sample(text, "recall_query_duration_seconds_count", '{class="unavailable"}')).toBe(1);
  });

  it("uses a registry of its own, with the default process metrics, leaving the global one alone", async () => {
    const before = (await globalRegistry.getMetricsAsJSON()).length;
    const a = new DaemonMetrics();
    const b = new DaemonMetrics();
    const text = await a.metrics();
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(await b.metrics()).toContain("recall_daemon_status");
    expect((await globalRegistry.getMetricsAsJSON()).length).toBe(before);
    expect(a.contentType).toMatch(/^text\/plain/);
  });

  it("still renders when the snapshot source throws", async () => {
    const m = new DaemonMetrics({ defaultMetrics: false, snapshot: () => { throw new Error("boom"); } });
    const text = await m.metrics();
    expect(sample(text, "recall_daemon_status", '{status="ready"}')).toBe(0);
  });
});
