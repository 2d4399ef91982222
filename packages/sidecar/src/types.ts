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

/** pino-compatible logger subset. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * A sidecar is operational when it is ready, or alive without a bundle (`compatibility: "unknown"`):
 * a wire concept, defined once by `@recall/protocol` and re-exported here.
 */
export { isOperational } from "@recall/protocol";

export const noopLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
