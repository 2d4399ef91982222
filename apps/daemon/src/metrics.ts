import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The statuses of docs/status.md, each a label value of `recall_daemon_status`. */
export const SERVICE_STATUSES = ["disabled", "initializing", "ready", "degraded", "unavailable"] as const;

/** The part of the service's `/status` snapshot the metrics read at scrape time. */
export interface MetricsSnapshot {
  status: string;
  sidecar: { restarts: number };
  bundle: { bundle_id: string | null; schema_version: string | null; expired?: boolean };
}

/** Options of {@link DaemonMetrics}. */
export interface DaemonMetricsOptions {
  /** Read at every scrape for the status, restarts and bundle metrics. */
  snapshot?: () => MetricsSnapshot;
  /** Register prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
}

const PULL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * recalld's Prometheus metrics, in a registry of its own (never prom-client's
 * global one, so two daemons in one process, or tests, do not collide):
 *
 * - `recall_daemon_status{status}`: 1 for the current status, 0 for the others
 * - `recall_sidecar_restarts_total`
 * - `recall_pulls_total{outcome}`, `recall_pull_duration_seconds`, `recall_pull_bytes_total`
 * - `recall_bundle_info{bundle_id, schema_version}`: 1 for the installed bundle
 * - `recall_bundle_expired`: 1 while the installed bundle is past its `expires_at` (still served)
 * - `recall_query_duration_seconds{class}`
 * - prom-client's default `process_*` and `nodejs_*` metrics
 */
export class DaemonMetrics {
  /** The registry `/metrics` renders. */
  readonly registry: Registry;
  #snapshot: (() => MetricsSnapshot) | undefined;
  #restartsSeen = 0;
  readonly #pulls: Counter<"outcome">;
  readonly #pullDuration: Histogram;
  readonly #pullBytes: Counter;
  readonly #queryDuration: Histogram<"class">;

  constructor(opts: DaemonMetricsOptions = {}) {
    this.registry = new Registry();
    this.#snapshot = opts.snapshot;
    const registers = [this.registry];
    const read = () => this.#readSnapshot();
    const seen = { get: () => this.#restartsSeen, set: (n: number) => (this.#restartsSeen = n) };

    new Gauge({
      name: "recall_daemon_status",
      help: "1 for the service's current status (docs/status.md), 0 for the others",
      labelNames: ["status"],
      registers,
      collect() {
        const snap = read();
        for (const s of SERVICE_STATUSES) this.set({ status: s }, snap?.status === s ? 1 : 0);
      },
    });
    new Counter({
      name: "recall_sidecar_restarts_total",
      help: "Sidecar restarts since the daemon started",
      registers,
      collect() {
        const n = read()?.sidecar.restarts ?? 0;
        if (n > seen.get()) {
          this.inc(n - seen.get());
          seen.set(n);
        }
      },
    });
    this.#pulls = new Counter({
      name: "recall_pulls_total",
      help: "Bundle pulls (cloud) and reloads (local) by outcome",
      labelNames: ["outcome"],
      registers,
    });
    this.#pullDuration = new Histogram({
      name: "recall_pull_duration_seconds",
      help: "Duration of bundle pulls",
      buckets: PULL_BUCKETS,
      registers,
    });
    this.#pullBytes = new Counter({
      name: "recall_pull_bytes_total",
      help: "Archive bytes downloaded by pulls",
      registers,
    });
    new Gauge({
      name: "recall_bundle_info",
      help: "1 for the installed bundle, labelled by its id and schema version",
      labelNames: ["bundle_id", "schema_version"],
      registers,
      collect() {
        this.reset();
        const bundle = read()?.bundle;
        if (bundle?.bundle_id) {
          this.set({ bundle_id: bundle.bundle_id, schema_version: bundle.schema_version ?? "" }, 1);
        }
      },
    });
    new Gauge({
      name: "recall_bundle_expired",
      help: "1 while the installed bundle is past its expires_at (it is still served), else 0",
      registers,
      collect() {
        this.set(read()?.bundle.expired === true ? 1 : 0);
      },
    });
    this.#queryDuration = new Histogram({
      name: "recall_query_duration_seconds",
      help: "Latency of queries answered through the service, by class",
      labelNames: ["class"],
      buckets: QUERY_BUCKETS,
      registers,
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Sets (or replaces) the snapshot source read at scrape time. */
  setSnapshotSource(snapshot: () => MetricsSnapshot): void {
    this.#snapshot = snapshot;
  }

  /** Records one pull or reload: its outcome, duration and downloaded bytes. */
  recordPull(outcome: string, durationMs: number, bytes: number): void {
    this.#pulls.inc({ outcome });
    this.#pullDuration.observe(Math.max(0, durationMs) / 1000);
    if (bytes > 0) this.#pullBytes.inc(bytes);
  }

  /** Records one query's latency under its class (`ok`, `unavailable`, …). */
  recordQuery(cls: string, ms: number): void {
    this.#queryDuration.observe({ class: cls }, Math.max(0, ms) / 1000);
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of {@link metrics}' output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  #readSnapshot(): MetricsSnapshot | undefined {
    try {
      return this.#snapshot?.();
    } catch {
      // A failing snapshot must not break the scrape: the gauges just read as unknown.
      return undefined;
    }
  }
}
