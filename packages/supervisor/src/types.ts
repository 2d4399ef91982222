import type { Clock, Logger } from "@recall/ports";

/** How a supervised child ended: exit code, or the name of the signal that killed it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** Why {@link Spawner.waitReady} did not report the child operational. */
export type ReadyFailure = "exited" | "timeout" | "incompatible" | "health_failed";

/**
 * Outcome of {@link Spawner.waitReady}. `exited` carries the child's exit;
 * `incompatible` means the child runs but cannot serve (counted towards
 * `binary_too_old`, not towards the crash budget).
 */
export type ReadyResult =
  | { ok: true; detail?: Record<string, unknown> }
  | { ok: false; reason: ReadyFailure; exit?: ExitInfo; detail?: Record<string, unknown> };

/**
 * What the supervisor drives. One child at a time: `spawn` starts it,
 * `waitReady` waits until it is operational (or fails), `wait` resolves when
 * it is reaped, `shutdown` stops it (idempotent, never throws, safe when no
 * child runs).
 *
 * `spawn` may throw an Error carrying a `reason` of `"binary_missing"`
 * (terminal), `"exec_error"` or `"socket_in_use"`; any other thrown error is
 * treated as `exec_error`.
 */
export interface Spawner {
  spawn(signal: AbortSignal): Promise<void>;
  waitReady(signal: AbortSignal, ceilingMs: number): Promise<ReadyResult>;
  wait(): Promise<ExitInfo>;
  shutdown(graceMs: number): Promise<void>;
}

/** The injected seams (clock, logger) have one home: `@recall/ports`. */
export type { Clock, Logger };

/** Exponential backoff: `initialMs · factor^(n-1)`, capped at `maxMs`, then ± `jitter` (a fraction). */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  jitter: number;
}

/**
 * Why the supervisor gave up (`onDegraded`) or why the last start failed
 * (`snapshot().lastReason`).
 */
export type DegradedReason =
  | "binary_missing"
  | "exec_error"
  | "health_failed"
  | "startup_timeout"
  | "repeated_crash"
  | "socket_in_use"
  | "binary_too_old";

/** Passed to `onReady`. */
export interface ReadyInfo {
  /** Failed attempts counted so far in the current budget window. */
  attempts: number;
  /** Spawns after the first one in this `run`. */
  restarts: number;
  /** When the child became ready (clock time). */
  readySince: number;
  /** `detail` of the ready result, if the spawner gave one. */
  detail?: Record<string, unknown>;
}

/** Passed to `onExit`. */
export interface ExitContext {
  /** Whether the child had become ready before it exited. */
  wasReady: boolean;
  /** Time between the child becoming ready and its exit (0 if never ready). */
  uptimeMs: number;
  attempts: number;
  restarts: number;
}

/** Supervisor options; every field has the default of docs/sidecar.md. */
export interface SupervisorOptions {
  /** Failed starts/crashes (within the budget window) before giving up. Default 5. */
  maxAttempts?: number;
  /** Ceiling passed to `waitReady`. Default 10 000 ms. */
  readyTimeoutMs?: number;
  /** Default `{initialMs: 1000, maxMs: 30000, factor: 2, jitter: 0.2}`; partial objects are merged. */
  backoff?: Partial<BackoffOptions>;
  /** Continuous readiness after which the attempt counter resets. Default 300 000 ms. */
  stableAfterMs?: number;
  /** Grace passed to `shutdown`. Default 2000 ms. */
  shutdownGraceMs?: number;
  clock?: Clock;
  /** Uniform [0, 1) source for jitter. Default `Math.random`. */
  random?: () => number;
  logger?: Logger;
  /** The child became operational. */
  onReady?: (info: ReadyInfo) => unknown;
  /** A child exited on its own (a crash while ready, or an exit while starting). */
  onExit?: (exit: ExitInfo, info: ExitContext) => unknown;
  /** The loop gave up; `run` resolves `"degraded"` right after. */
  onDegraded?: (reason: DegradedReason, attempts: number, detail: Record<string, unknown>) => unknown;
  /** The child reported `incompatible`: fired once, awaited, then one more start is tried. */
  onIncompatible?: () => Promise<void> | void;
}

/** Where the loop is. */
export type SupervisorState = "idle" | "starting" | "ready" | "backoff" | "stopped" | "degraded";

/** A frozen copy of the supervisor's state, cheap to take at any time. */
export interface SupervisorSnapshot {
  state: SupervisorState;
  attempts: number;
  restarts: number;
  lastReason: DegradedReason | null;
  lastExit: ExitInfo | null;
  readySince: number | null;
  nextRestartAt: number | null;
}

/** How `run` ended. */
export type RunOutcome = "stopped" | "degraded";
