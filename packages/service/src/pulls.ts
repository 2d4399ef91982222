import { bootstrapPull } from "./bootstrap";
import type { BundleInfo } from "./bundle-info";
import type { ServiceContext } from "./context";
import type { CallResult, ClientPart, PullerPart } from "./parts";
import type { StatusMachine } from "./status";
import type { PullNowOutcome, PullOutcome } from "./types";

/** What pull coordination needs from the rest of the service. */
export interface PullDeps {
  ctx: ServiceContext;
  status: StatusMachine;
  bundle: BundleInfo;
  /** Probes the sidecar's health again. */
  recheck(): void;
  /** Gives the supervisor a fresh run (spawn mode, after `degraded`). */
  rerunSupervisor(): void;
}

/**
 * Every pull the service runs: the bootstrap, the schedule (started once, at
 * the first operational health), `pullNow`, the self-heal pull, and the local
 * reload; and what follows each pull (hooks, `memory_reload_failed`, bundle
 * info, a health re-check or a fresh supervisor run).
 */
export class PullCoordinator {
  readonly #d: PullDeps;
  #puller: PullerPart | null = null;
  #run: Promise<void> | null = null;
  #bootstrapFailed = false;
  /** Set while the bootstrap pull runs: its failure has its own event, not memory_reload_failed. */
  #bootstrapping = false;
  /** Set while a self-heal pull runs (it has memory_self_heal_failed). */
  #selfHealing = false;

  constructor(d: PullDeps) {
    this.#d = d;
  }

  /** The puller (cloud mode, once the start gates passed). */
  get puller(): PullerPart | null {
    return this.#puller;
  }

  /** The running schedule, if started (`stop()` waits for it). */
  get running(): Promise<void> | null {
    return this.#run;
  }

  /** Cloud: creates the puller and runs the bootstrap pull when `current` is not valid. */
  async setUp(): Promise<void> {
    const { ctx } = this.#d;
    const o = ctx.o;
    const puller = ctx.parts.createPuller({
      ...o.puller,
      publicKeys: [...o.puller.publicKeys],
      audit: ctx.audit,
      logger: ctx.logger,
      clock: ctx.clock,
      onTick: (outcome, m) => this.#afterPull(outcome, m),
    });
    this.#puller = puller;
    if (await ctx.parts.hasValidCurrent(o.bundleRoot)) return;
    const failed = await bootstrapPull(ctx, this.#d.status, async (signal) => {
      this.#bootstrapping = true;
      try {
        return await this.#tick(puller, signal);
      } finally {
        this.#bootstrapping = false;
      }
    });
    if (failed !== null) this.#bootstrapFailed = failed;
  }

  /** Starts the pull schedule, once (no-op without a puller or when stopping). */
  startSchedule(): void {
    const { ctx } = this.#d;
    const puller = this.#puller;
    if (puller === null || this.#run !== null || ctx.stopping) return;
    this.#run = puller.runSchedule({ signal: ctx.signal, bootstrap: this.#bootstrapFailed }).catch((err: unknown) => {
      ctx.logger.error({ err: ctx.errorSummary(err) }, "memory pull schedule failed");
    });
  }

  /** Cloud `pullNow`: one pull, then fresh bundle info. Never throws. */
  async pullNow(puller: PullerPart): Promise<PullOutcome> {
    const { ctx, bundle } = this.#d;
    let outcome: PullOutcome;
    try {
      outcome = await puller.pullNow();
    } catch (err) {
      ctx.logger.error({ err: ctx.errorSummary(err) }, "memory pull threw");
      outcome = { outcome: "failed", reason: "internal", message: "pull failed unexpectedly" };
    }
    await bundle.refresh();
    return outcome;
  }

  /** Local `pullNow`: asks the sidecar to re-read `current`. Never throws. */
  async reloadLocal(client: ClientPart): Promise<PullNowOutcome> {
    const { ctx, bundle } = this.#d;
    let r: CallResult<{ bundle_id: string | null; changed: boolean }>;
    try {
      r = await client.reload({ signal: ctx.signal, timeoutMs: ctx.o.requestTimeoutMs });
    } catch (err) {
      ctx.logger.error({ err: ctx.errorSummary(err) }, "memory reload threw");
      r = { class: "internal", error: { code: "internal", message: "reload failed unexpectedly" } };
    }
    void bundle.refresh();
    this.#d.recheck();
    if (r.class === "ok") return { outcome: "reloaded", bundle_id: r.value.bundle_id, changed: r.value.changed };
    // seed parity: a failed sidecar reload call is memory_reload_failed (the puller does the same after an install)
    if (!ctx.stopping) ctx.auditLog("memory_reload_failed", { reason: "sidecar_reload", class: r.class, code: r.error.code });
    return { outcome: "failed", reason: r.class, message: r.error.message };
  }

  /** The supervisor saw an incompatible bundle: one pull for a compatible one (cloud), audited. */
  async selfHeal(): Promise<void> {
    const { ctx, status, bundle } = this.#d;
    if (ctx.stopping) return;
    ctx.auditLog("memory_self_heal_attempt", { provider: ctx.o.provider, bundle_id: bundle.bundleId });
    status.set("initializing", "self_heal", { self_healing: true });
    const puller = this.#puller;
    if (ctx.o.provider !== "cloud" || puller === null) {
      ctx.auditLog("memory_self_heal_failed", { reason: "no_remote" });
      return;
    }
    this.#selfHealing = true;
    let outcome: PullOutcome;
    try {
      ({ outcome } = await this.#tick(puller, ctx.signal));
    } finally {
      this.#selfHealing = false;
    }
    if (ctx.stopping) return;
    if (outcome.outcome === "installed") {
      ctx.auditLog("memory_self_heal_ok", { bundle_id: outcome.bundle_id, schema_version: outcome.schema_version });
    } else {
      const fields: Record<string, unknown> = { outcome: outcome.outcome };
      if (outcome.outcome === "rejected" || outcome.outcome === "failed") fields.reason = outcome.reason;
      ctx.auditLog("memory_self_heal_failed", fields);
    }
  }

  /** One pull outside the schedule (bootstrap, self-heal); `onTick` reports it to the hooks. */
  async #tick(puller: PullerPart, signal: AbortSignal): Promise<{ outcome: PullOutcome; durationMs: number }> {
    const { ctx } = this.#d;
    const t0 = ctx.clock.now();
    let outcome: PullOutcome;
    try {
      outcome = await puller.tick({ signal });
    } catch (err) {
      ctx.logger.error({ err: ctx.errorSummary(err) }, "memory pull threw");
      outcome = { outcome: "failed", reason: "internal", message: "pull failed unexpectedly" };
    }
    return { outcome, durationMs: ctx.clock.now() - t0 };
  }

  /** After every pull, wherever it ran: metrics hook, bundle info, and a health re-check when a bundle arrived. */
  #afterPull(o: PullOutcome, m: { durationMs: number; bytes: number }): void {
    const { ctx, status, bundle } = this.#d;
    ctx.callHook("onPull", () => ctx.hooks.onPull?.(o, m));
    // Seed parity: every failed or rejected scheduled (or pullNow) pull, beside the puller's finer memory_bundle_* event.
    const failedPull = o.outcome === "rejected" || (o.outcome === "failed" && o.reason !== "aborted");
    if (failedPull && !this.#bootstrapping && !this.#selfHealing && !ctx.stopping) {
      ctx.auditLog("memory_reload_failed", { reason: o.reason, outcome: o.outcome });
    }
    // A 304 skips the manifest policy: the refresh re-reads expires_at and checks it.
    void bundle.refresh();
    if (o.outcome !== "installed" || ctx.stopping) return;
    if (status.status === "degraded" && status.reason === "binary_too_old" && ctx.o.mode === "spawn") {
      // A new bundle may be one this sidecar can serve: give the supervisor a fresh budget.
      ctx.logger.info({ bundle_id: o.bundle_id }, "new bundle while degraded: restarting the sidecar");
      status.set("initializing", "new_bundle", {});
      this.#d.rerunSupervisor();
      return;
    }
    // A new bundle may make a waiting sidecar ready (or show a new bundle_id).
    if (status.status !== "ready") this.#d.recheck();
  }
}
