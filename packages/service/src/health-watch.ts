import type { Health } from "@recall/protocol";
import type { BundleInfo } from "./bundle-info";
import type { ServiceContext } from "./context";
import type { CallResult, ClientPart } from "./parts";
import type { StatusMachine } from "./status";

/** Deadline of one health probe (docs/sidecar.md: attach probes use a 1 s ceiling). */
const HEALTH_PROBE_TIMEOUT_MS = 1000;

/** What the health watch needs from the rest of the service. */
export interface HealthWatchDeps {
  ctx: ServiceContext;
  status: StatusMachine;
  bundle: BundleInfo;
  /** The client, once the start gates have passed. */
  client(): ClientPart | null;
  /** Starts the cloud pull schedule (once) at the first operational health. */
  startPullSchedule(): void;
}

/**
 * Health of the sidecar: probes it on request and keeps probing every
 * `attachProbeIntervalMs` while it is not ready; maps each answer to the
 * status (ready / no_bundle / incompatible_bundle / sidecar_unreachable).
 * Tracks the spawned child's lifecycle (up/down) so a probe started before a
 * lifecycle event cannot overwrite newer news.
 */
export class HealthWatch {
  readonly #d: HealthWatchDeps;
  /** Spawn mode: a child is up (between `onReady` and its exit). */
  #sidecarUp = false;
  /** Bumped on every sidecar lifecycle event. */
  #generation = 0;
  #watch: Promise<void> | null = null;
  #wake: AbortController | null = null;
  #probeAgain = false;
  #attachPid: number | null = null;

  constructor(d: HealthWatchDeps) {
    this.#d = d;
  }

  /** Spawn mode: whether a child is up. */
  get sidecarUp(): boolean {
    return this.#sidecarUp;
  }

  /** Attach mode: the pid the sidecar's last health body named. */
  get attachPid(): number | null {
    return this.#attachPid;
  }

  /** A sidecar lifecycle event (ready: up; exit, degraded, supervisor end: down). */
  lifecycle(up: boolean): void {
    this.#sidecarUp = up;
    this.#generation++;
  }

  /** Marks the child down without a lifecycle event (the supervisor's run ended, or stop). */
  markDown(): void {
    this.#sidecarUp = false;
  }

  /** Probes health now (or as soon as the running probe loop can); loops while not ready. */
  recheck(): void {
    if (this.#d.ctx.stopping || this.#d.client() === null) return;
    if (this.#watch !== null) {
      this.#probeAgain = true;
      this.#wake?.abort();
      return;
    }
    this.#watch = this.#loop().finally(() => {
      this.#watch = null;
    });
  }

  /** Wakes a sleeping probe loop (at stop) and gives the loop's promise, if one runs. */
  stop(): Promise<void> | null {
    this.#wake?.abort();
    return this.#watch;
  }

  /** Applies one health answer to the status. */
  apply(r: CallResult<Health>): void {
    const { ctx, status, bundle } = this.#d;
    const attach = ctx.o.mode === "attach";
    if (r.class !== "ok") {
      if (attach) this.#attachPid = null;
      status.set("unavailable", "sidecar_unreachable", { class: r.class, code: r.error.code });
      return;
    }
    const h = r.value;
    if (attach) this.#attachPid = h.pid;
    if (h.ready || h.compatibility === "unknown") this.#d.startPullSchedule();
    if (h.bundle_id !== bundle.bundleId) {
      // A status read right after "ready" must name the bundle being served; the refresh fills
      // installed_at from state.json.
      if (h.ready) bundle.takeFromHealth(h);
      void bundle.refresh();
    }
    if (h.ready) {
      status.set("ready", null, {});
    } else if (h.compatibility === "incompatible") {
      status.set("unavailable", "incompatible_bundle", {
        sub_code: h.error?.sub_code ?? null,
        schema_version: h.schema_version,
        supported_schema: h.supported_schema,
      });
    } else {
      status.set("unavailable", "no_bundle", {});
    }
  }

  async #loop(): Promise<void> {
    const { ctx, status } = this.#d;
    const client = this.#d.client() as ClientPart;
    for (;;) {
      if (ctx.stopping) return;
      if (ctx.o.mode === "spawn" && !this.#sidecarUp) return;
      this.#probeAgain = false;
      const gen = this.#generation;
      const r = await client.health({ signal: ctx.signal, timeoutMs: HEALTH_PROBE_TIMEOUT_MS });
      if (ctx.stopping) return;
      if (gen !== this.#generation) continue;
      this.apply(r);
      if (status.status === "ready") return;
      if (this.#probeAgain) continue;
      const wake = new AbortController();
      this.#wake = wake;
      try {
        await ctx.clock.sleep(ctx.o.attachProbeIntervalMs, AbortSignal.any([ctx.signal, wake.signal]));
      } catch {
        if (ctx.signal.aborted) return;
      } finally {
        this.#wake = null;
      }
    }
  }
}
