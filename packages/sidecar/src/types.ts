/** How the child ended: exit code, or the signal that killed it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/**
 * Outcome of {@link Sidecar.waitReady}; the same shape as `@recall/supervisor`'s
 * `ReadyResult`, declared here so this package does not depend on it.
 */
export type ReadyResult =
  | { ok: true; detail?: Record<string, unknown> }
  | {
      ok: false;
      reason: "exited" | "timeout" | "incompatible" | "health_failed";
      exit?: ExitInfo;
      detail?: Record<string, unknown>;
    };

/** The injected logger (and its no-op default) has one home: `@recall/ports`. */
export type { Logger } from "@recall/ports";
export { noopLogger } from "@recall/ports";

/**
 * A sidecar is operational when it is ready, or alive without a bundle (`compatibility: "unknown"`):
 * a wire concept, defined once by `@recall/protocol` and re-exported here.
 */
export { isOperational } from "@recall/protocol";
