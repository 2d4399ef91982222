import type { Health, QueryIntent, ReloadResult, ResponseEnvelope, ErrorClass } from "@recall/protocol";
import type { ExitInfo, ReadyResult } from "@recall/supervisor";
import type { AuditSink, BackoffSettings, Clock, Logger, PullOutcome, PullerSettings } from "./types";

/** A client call's result (structurally `@recall/client`'s `ClientResult`). */
export type CallResult<T> =
  | { class: "ok"; value: T; status: number }
  | {
      class: Exclude<ErrorClass, "ok">;
      error: { code: string; message: string; status?: number; sub_code?: string; issues?: unknown[] };
    };

/** Per-call options of the client. */
export interface CallOpts {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The part of `SidecarClient` the service uses. */
export interface ClientPart {
  health(opts?: CallOpts): Promise<CallResult<Health>>;
  query(intent: QueryIntent, opts?: CallOpts): Promise<CallResult<ResponseEnvelope>>;
  reload(opts?: CallOpts): Promise<CallResult<ReloadResult>>;
  close(): Promise<void>;
}

/** How a child ended: `@recall/supervisor`'s `ExitInfo` (this name is kept for existing imports). */
export type ExitInfoLike = ExitInfo;

/** Outcome of `waitReady`: `@recall/supervisor`'s `ReadyResult` (this name is kept for existing imports). */
export type ReadyResultLike = ReadyResult;

/** The part of `Sidecar` the service uses (a supervisor `Spawner` plus its pid). */
export interface SidecarPart {
  spawn(signal: AbortSignal): Promise<void>;
  waitReady(signal: AbortSignal, ceilingMs: number): Promise<ReadyResultLike>;
  wait(): Promise<ExitInfoLike>;
  shutdown(graceMs: number): Promise<void>;
  readonly pid: number | null | undefined;
}

/** Callbacks the service gives its supervisor. */
export interface SupervisorCallbacks {
  onReady(info: { attempts: number; restarts: number; detail?: Record<string, unknown> }): void;
  onExit(exit: ExitInfoLike, info: { wasReady: boolean; attempts: number; restarts: number }): void;
  onDegraded(reason: string, attempts: number, detail: Record<string, unknown>): void;
  onIncompatible(): Promise<void>;
}

/** The part of `Supervisor` the service uses. */
export interface SupervisorPart {
  run(signal: AbortSignal): Promise<"stopped" | "degraded">;
  snapshot(): { restarts: number; attempts: number; state: string };
}

/** Options the service passes to the supervisor factory. */
export interface SupervisorSettings extends SupervisorCallbacks {
  maxAttempts: number;
  readyTimeoutMs: number;
  backoff: Partial<BackoffSettings>;
  stableAfterMs: number;
  shutdownGraceMs: number;
  clock: Clock;
  logger: Logger;
}

/** The part of `Puller` the service uses. */
export interface PullerPart {
  tick(opts?: {
    signal?: AbortSignal;
    onProgress?(p: { phase: string; bytes: number; total: number }): void;
  }): Promise<PullOutcome>;
  runSchedule(opts: { signal: AbortSignal; bootstrap?: boolean; onOutcome?(o: PullOutcome): void }): Promise<void>;
  pullNow(): Promise<PullOutcome>;
}

/**
 * The part of what `@recall/puller`'s `readBundleState` reports that the service reads (like
 * {@link ClientPart}, a view, not a copy: the real wiring passes puller's function, so the
 * compiler checks puller's result against it).
 */
export interface BundleStateLike {
  current: { bundle_id: string; schema_version: string; installed_at: string | null; expires_at?: string | null } | null;
  state: { last_pull: { at: string; outcome: string; error?: string } | null } | null;
}

/**
 * The packages a service composes, as factories, so the status machine can be
 * unit-tested with small fakes. {@link Service} wires the real ones.
 */
export interface ServiceParts {
  resolveBinary(tlmPath: string): { ok: true; path: string } | { ok: false; error: { message: string } };
  createSidecar(o: {
    socketPath: string;
    bundleRoot: string;
    binary: string;
    extraArgs?: string[];
    env?: Record<string, string | undefined>;
    logger: Logger;
    pollIntervalMs?: number;
  }): SidecarPart;
  createSupervisor(spawner: SidecarPart, o: SupervisorSettings): SupervisorPart;
  createClient(o: { socketPath: string; requestTimeoutMs: number }): ClientPart;
  /**
   * `onTick` must be called after every pull the puller runs (its own
   * schedule's, `pullNow`'s and direct `tick`s), with its wall time and the
   * archive bytes downloaded.
   */
  createPuller(
    o: PullerSettings & {
      bundleRoot: string;
      socketPath: string;
      audit: AuditSink;
      logger: Logger;
      clock: Clock;
      onTick: (outcome: PullOutcome, m: { durationMs: number; bytes: number }) => void;
    },
  ): PullerPart;
  hasValidCurrent(bundleRoot: string): Promise<boolean>;
  /** Removes leftovers of an interrupted pull (`staging/*`, `current.tmp`) under the bundle lock. */
  recoverBundleRoot(bundleRoot: string): Promise<void>;
  readBundleState(bundleRoot: string): Promise<BundleStateLike>;
}
