/** Upper bounds (seconds) of the query latency histogram buckets. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Snapshot of the served bundle, for the `tlm_bundle_info` gauge. */
export interface BundleGauge { bundleId: string | null; schemaVersion: string | null; compatibility: string; memories: number }

/**
 * Hand-written Prometheus metrics of one `tlm serve` (text format 0.0.4):
 * queries by HTTP status, query latency histogram, reloads by outcome,
 * in-flight requests and the served bundle.
 */
export class TlmMetrics {
  private readonly queries = new Map<number, number>();
  private readonly buckets: number[] = LATENCY_BUCKETS.map(() => 0);
  private latencyCount = 0;
  private latencySum = 0;
  private truncated = 0;
  private readonly reloads = new Map<string, number>();
  private readonly requests = new Map<string, number>();

  /** Counts one `/query` answer with its status and duration. */
  observeQuery(status: number, seconds: number, truncated: boolean): void {
    this.queries.set(status, (this.queries.get(status) ?? 0) + 1);
    if (truncated) this.truncated++;
    if (status !== 200) return;
    this.latencyCount++;
    this.latencySum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) this.buckets[i]!++;
  }

  /** Counts one reload with its outcome (`changed`, `unchanged`, `conflict`, `incompatible`, `removed`). */
  observeReload(outcome: string): void {
    this.reloads.set(outcome, (this.reloads.get(outcome) ?? 0) + 1);
  }

  /** Counts one HTTP request by route and status. */
  observeRequest(route: string, status: number): void {
    const k = `${route}\u0000${status}`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
  }

  /** Renders every metric in Prometheus text format. */
  render(bundle: BundleGauge, inFlight: number, uptimeS: number): string {
    const out: string[] = [];
    out.push("# HELP tlm_queries_total Queries answered, by HTTP status.", "# TYPE tlm_queries_total counter");
    for (const [status, n] of [...this.queries].sort((a, b) => a[0] - b[0])) out.push(`tlm_queries_total{status="${status}"} ${n}`);
    out.push("# HELP tlm_queries_truncated_total Queries cut by their budget_ms.", "# TYPE tlm_queries_truncated_total counter");
    out.push(`tlm_queries_truncated_total ${this.truncated}`);
    out.push("# HELP tlm_query_duration_seconds Duration of successful queries.", "# TYPE tlm_query_duration_seconds histogram");
    LATENCY_BUCKETS.forEach((le, i) => out.push(`tlm_query_duration_seconds_bucket{le="${le}"} ${this.buckets[i]}`));
    out.push(`tlm_query_duration_seconds_bucket{le="+Inf"} ${this.latencyCount}`);
    out.push(`tlm_query_duration_seconds_sum ${this.latencySum}`, `tlm_query_duration_seconds_count ${this.latencyCount}`);
    out.push("# HELP tlm_reloads_total Bundle reloads, by outcome.", "# TYPE tlm_reloads_total counter");
    for (const [outcome, n] of [...this.reloads].sort()) out.push(`tlm_reloads_total{outcome="${escapeLabel(outcome)}"} ${n}`);
    out.push("# HELP tlm_http_requests_total HTTP requests, by route and status.", "# TYPE tlm_http_requests_total counter");
    for (const [k, n] of [...this.requests].sort()) {
      const [route, status] = k.split("\u0000");
      out.push(`tlm_http_requests_total{route="${escapeLabel(route!)}",status="${status}"} ${n}`);
    }
    out.push("# HELP tlm_in_flight_requests Requests being handled.", "# TYPE tlm_in_flight_requests gauge", `tlm_in_flight_requests ${inFlight}`);
    out.push("# HELP tlm_bundle_info The served bundle (value 1).", "# TYPE tlm_bundle_info gauge");
    out.push(`tlm_bundle_info{bundle_id="${escapeLabel(bundle.bundleId ?? "")}",schema_version="${escapeLabel(bundle.schemaVersion ?? "")}",compatibility="${bundle.compatibility}"} 1`);
    out.push("# HELP tlm_bundle_memories Memories in the served bundle.", "# TYPE tlm_bundle_memories gauge", `tlm_bundle_memories ${bundle.memories}`);
    out.push("# HELP tlm_uptime_seconds Seconds since the server started.", "# TYPE tlm_uptime_seconds gauge", `tlm_uptime_seconds ${uptimeS}`);
    return out.join("\n") + "\n";
  }
}
