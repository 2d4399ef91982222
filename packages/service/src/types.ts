import type { AuditSink, Clock, Logger } from "@recall/ports";
import type { ErrorClass, MemoryResult, QueryIntent, ResponseEnvelope } from "@recall/protocol";

/** The injected seams (logger, audit sink, clock) have one home: `@recall/ports`. */
export type { AuditSink, Clock, Logger };

/** Memory provider (`memory.provider`). */
export type Provider = "disabled" | "local" | "cloud";

/** `spawn`: the service owns the sidecar process. `attach`: someone else runs it; the service only probes. */
export type ServiceMode = "spawn" | "attach";

/** The service's status (docs/status.md). */
export type ServiceStatus = "disabled" | "initializing" | "ready" | "degraded" | "unavailable";

/** Exponential backoff between sidecar restarts (docs/sidecar.md). */
export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
  factor: number;
  jitter: number;
}

/**
 * What the service hands to `@recall/puller` (its `Puller` options minus
 * audit/logger/clock; `bundleRoot` and `socketPath` default to the service's).
 */
export interface PullerSettings {
  endpoint: string;
  apiKey: string;
  bundleRoot?: string;
  socketPath?: string;
  publicKeys: string[];
  schemaRange: string;
  retain: number;
  maxBytes: number;
  maxUnpackedBytes: number;
  maxManifestBytes?: number;
  downloadTimeoutMs: number;
  minBytesPerSec: number;
  minRateWindowMs?: number;
  allowInsecureHttp: boolean;
  startupDelayMs: number;
  intervalMs: number;
  jitter: number;
  random?: () => number;
}

/** Answers a query from something other than the sidecar (plain text search, a cache) while memory is not ready. */
export type Fallback = (intent: QueryIntent) => Promise<MemoryResult[]> | MemoryResult[];

/**
 * Options of a {@link Service}. Built from the config by
 * `serviceOptionsFromConfig`; the optional fields have documented defaults and exist
 * so tests and embedders can tune them.
 */
export interface ServiceOptions {
  /** `""` (an empty `memory.provider`, as the seed service accepted) means `disabled`. */
  provider: Provider | "";
  mode: ServiceMode;
  socketPath: string;
  bundleRoot: string;
  /** `memory.tlm_path`; empty = look up `tlm` on PATH, then the bundled reference sidecar. */
  tlmPath: string;
  readyTimeoutMs: number;
  shutdownGraceMs: number;
  /** Failed starts/crashes before the supervisor gives up (`sidecar_restart_max`). */
  restartMax: number;
  /** Per-query deadline when the caller gives none (`client_request_timeout`). */
  requestTimeoutMs: number;
  /** Attach mode: probe interval while not ready. Default 2000. */
  attachProbeIntervalMs?: number;
  puller: PullerSettings;
  fallback?: Fallback;
  version?: string;
  /** Restart backoff; default `{initialMs: 1000, maxMs: 30000, factor: 2, jitter: 0.2}`. */
  backoff?: Partial<BackoffSettings>;
  /** Continuous readiness after which the restart budget resets. Default 300 000. */
  stableAfterMs?: number;
  /** Deadline of the bootstrap pull before the first spawn. Default 60 000. */
  bootstrapTimeoutMs?: number;
  /** Extra arguments put before `serve` on the sidecar's command line. */
  sidecarExtraArgs?: string[];
  /** Environment of the sidecar (before the sidecar package strips RECALL_* and secrets). Default `process.env`. */
  sidecarEnv?: Record<string, string | undefined>;
  /** How often `tlm` re-reads `current` by itself (`--poll-interval`), in ms. Default: the sidecar's. */
  sidecarPollIntervalMs?: number;
}

/** The `/status` shape of docs/status.md. */
export interface StatusSnapshot {
  version: string;
  provider: Provider;
  mode: ServiceMode;
  status: ServiceStatus;
  reason: string | null;
  detail: Record<string, unknown>;
  sidecar: { pid: number | null; restarts: number; ready_since: string | null };
  /**
   * The installed bundle. `expired` is true once `expires_at` has passed: the bundle is still
   * served (status stays `ready`; `detail.bundle_expired` says so too) — docs/status.md.
   */
  bundle: {
    bundle_id: string | null;
    schema_version: string | null;
    installed_at: string | null;
    expires_at: string | null;
    expired: boolean;
  };
  last_pull: { at: string | null; outcome: string | null; error: string | null };
}

/** Result of one pull as reported by `@recall/puller` (never thrown). */
export type PullOutcome =
  | { outcome: "installed"; bundle_id: string; schema_version: string }
  | { outcome: "unchanged"; expired?: true; expires_at?: string }
  | { outcome: "none" }
  | { outcome: "busy" }
  | { outcome: "rejected"; reason: string; path?: string }
  | { outcome: "failed"; reason: string; message: string };

/**
 * Result of {@link Service.pullNow}: a pull outcome (cloud), `reloaded`
 * (local: the sidecar re-read `current`), or `disabled` (no pulls possible:
 * provider disabled, a start gate failed, or the service is stopped).
 * A local reload that fails is `{outcome: "failed", reason: <error class>}`.
 */
export type PullNowOutcome =
  | PullOutcome
  | { outcome: "reloaded"; bundle_id: string | null; changed: boolean }
  | { outcome: "disabled"; reason: string };

/** Result of {@link Service.query}. `envelope` is present on `ok`, and on `unavailable` when a fallback answered. */
export interface QueryOutcome {
  class: ErrorClass;
  envelope?: ResponseEnvelope;
  error?: { code: string; message: string };
}

/** Per-query options. */
export interface QueryOptions {
  signal?: AbortSignal;
  /** Deadline in ms; default `requestTimeoutMs`. */
  timeoutMs?: number;
}

/** Hooks for the daemon's metrics. Called synchronously; a hook that throws is logged and ignored. */
export interface ServiceHooks {
  /** Every status change (status, reason or detail). */
  onStatus?(s: StatusSnapshot): void;
  /** Every pull the service runs or schedules; `bytes` = archive bytes downloaded (0 when none). */
  onPull?(o: PullOutcome, m: { durationMs: number; bytes: number }): void;
  /** Every query, with its class and wall time in ms. */
  onQuery?(cls: ErrorClass, ms: number): void;
  /** Every unrequested sidecar exit (the supervisor restarts it unless its budget is spent). */
  onRestart?(): void;
}

/** Collaborators injected into a {@link Service}. */
export interface ServiceDeps {
  audit?: AuditSink;
  logger?: Logger;
  clock?: Clock;
  hooks?: ServiceHooks;
}
