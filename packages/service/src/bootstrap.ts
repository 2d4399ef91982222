import type { ServiceContext } from "./context";
import { ServiceError } from "./errors";
import type { StatusMachine } from "./status";
import type { PullOutcome } from "./types";

/** One pull with its wall time on the injected clock. */
export type TimedTick = (signal: AbortSignal) => Promise<{ outcome: PullOutcome; durationMs: number }>;

/**
 * The bootstrap pull (cloud mode without a valid `current`, docs/status.md):
 * `initializing/bootstrap_pull` while it runs, bounded by `bootstrapTimeoutMs`
 * and by stop; then `memory_bootstrap_pull_ok` (installed, unchanged, none) or
 * `memory_bootstrap_pull_failed` (with `reason`; `bootstrap_timeout` when the
 * deadline cut it). Resolves to whether the bootstrap failed to bring a bundle
 * (the pull schedule then starts in its bootstrap cadence), or `null` when the
 * service stopped meanwhile (no event).
 */
export async function bootstrapPull(ctx: ServiceContext, status: StatusMachine, tick: TimedTick): Promise<boolean | null> {
  status.set("initializing", "bootstrap_pull", { bootstrap: true });
  const deadline = new AbortController();
  const timer = new AbortController();
  let timedOut = false;
  ctx.clock.sleep(ctx.o.bootstrapTimeoutMs, timer.signal).then(
    () => {
      timedOut = true;
      deadline.abort(new ServiceError("SERVICE_BOOTSTRAP_TIMEOUT", "bootstrap pull deadline"));
    },
    () => {},
  );
  const signal = AbortSignal.any([ctx.signal, deadline.signal]);
  let result: PullOutcome;
  let durationMs: number;
  try {
    ({ outcome: result, durationMs } = await tick(signal));
  } finally {
    timer.abort();
  }
  if (ctx.stopping) return null;
  const ok = result.outcome === "installed" || result.outcome === "unchanged" || result.outcome === "none";
  const failed = result.outcome !== "installed" && result.outcome !== "unchanged";
  const fields: Record<string, unknown> = { outcome: result.outcome, duration_ms: Math.round(durationMs) };
  if (result.outcome === "installed") {
    fields.bundle_id = result.bundle_id;
    fields.schema_version = result.schema_version;
  }
  if (result.outcome === "rejected" || result.outcome === "failed") fields.reason = result.reason;
  if (timedOut) fields.reason = "bootstrap_timeout";
  ctx.auditLog(ok ? "memory_bootstrap_pull_ok" : "memory_bootstrap_pull_failed", fields);
  status.set("initializing", null, {});
  return failed;
}
