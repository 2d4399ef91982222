import type { Health } from "@recall/protocol";
import { contentFree } from "./content-free";
import type { ServiceContext } from "./context";
import type { HealthWatch } from "./health-watch";
import type { ServiceParts, SidecarPart, SupervisorPart } from "./parts";
import type { StatusMachine } from "./status";

/** Extra time `stop()` gives the supervisor beyond the shutdown grace before it shuts the sidecar down itself. */
const STOP_SLACK_MS = 1000;

/** What the supervisor wiring needs from the rest of the service. */
export interface SupervisorDeps {
  ctx: ServiceContext;
  status: StatusMachine;
  health: HealthWatch;
  /** Starts the cloud pull schedule (once). */
  startPullSchedule(): void;
  /** The self-heal pull (the supervisor's `onIncompatible`). */
  selfHeal(): Promise<void>;
}

/**
 * Spawn mode: the sidecar under its supervisor, and the supervisor's
 * callbacks mapped to the status (ready, restarting, degraded, self-heal).
 */
export class SupervisorWiring {
  readonly #d: SupervisorDeps;
  #sidecar: SidecarPart | null = null;
  #supervisor: SupervisorPart | null = null;
  #run: Promise<void> | null = null;
  #active = false;
  #rerun = false;

  constructor(d: SupervisorDeps) {
    this.#d = d;
  }

  /** The sidecar's pid while a child is up, else null. */
  get pid(): number | null {
    return this.#d.health.sidecarUp ? (this.#sidecar?.pid ?? null) : null;
  }

  /** Restarts so far (0 before the supervisor exists). */
  get restarts(): number {
    return this.#supervisor?.snapshot().restarts ?? 0;
  }

  /** Creates the sidecar and its supervisor for `binary` and runs the supervisor in the background. */
  start(binary: string): void {
    const { ctx } = this.#d;
    const o = ctx.o;
    const sidecarOpts: Parameters<ServiceParts["createSidecar"]>[0] = {
      socketPath: o.socketPath,
      bundleRoot: o.bundleRoot,
      binary,
      logger: ctx.logger,
    };
    if (o.sidecarExtraArgs) sidecarOpts.extraArgs = [...o.sidecarExtraArgs];
    if (o.sidecarEnv) sidecarOpts.env = o.sidecarEnv;
    if (o.sidecarPollIntervalMs !== undefined) sidecarOpts.pollIntervalMs = o.sidecarPollIntervalMs;
    const sidecar = ctx.parts.createSidecar(sidecarOpts);
    this.#sidecar = sidecar;
    this.#supervisor = ctx.parts.createSupervisor(this.#observed(sidecar), {
      maxAttempts: o.restartMax,
      readyTimeoutMs: o.readyTimeoutMs,
      backoff: { ...o.backoff },
      stableAfterMs: o.stableAfterMs,
      shutdownGraceMs: o.shutdownGraceMs,
      clock: ctx.clock,
      logger: ctx.logger,
      onReady: (info) => this.#onReady(info.detail),
      onExit: (exit, info) => this.#onExit(exit, info),
      onDegraded: (reason, attempts, detail) => this.#onDegraded(reason, attempts, detail),
      onIncompatible: () => this.#d.selfHeal(),
    });
    this.run();
  }

  /** Runs the supervisor loop in the background (again, after it ended degraded). */
  run(): void {
    const { ctx, status, health } = this.#d;
    const supervisor = this.#supervisor;
    if (supervisor === null || ctx.stopping) return;
    if (this.#active) {
      // It is just ending (onDegraded fires before run() resolves): run again right after.
      this.#rerun = true;
      return;
    }
    this.#active = true;
    this.#rerun = false;
    this.#run = supervisor.run(ctx.signal).then(
      (outcome) => {
        this.#active = false;
        health.markDown();
        ctx.logger.info({ outcome }, "memory supervisor finished");
        if (this.#rerun) this.run();
      },
      (err: unknown) => {
        this.#active = false;
        health.markDown();
        ctx.logger.error({ err: ctx.errorSummary(err) }, "memory supervisor failed");
        if (!ctx.stopping) status.set("degraded", "internal", {});
      },
    );
  }

  /** After the service's signal aborted: waits for the supervisor (bounded), then shuts the sidecar down. */
  async stop(graceMs: number): Promise<void> {
    if (this.#run) await this.#d.ctx.bounded(this.#run, graceMs + STOP_SLACK_MS);
    // Covers a supervisor that did not finish in time; shutdown is idempotent.
    if (this.#sidecar) await this.#sidecar.shutdown(graceMs);
    this.#d.health.markDown();
  }

  /**
   * The sidecar as the supervisor sees it, reporting failed starts that the
   * supervisor has no callback for (exec error, socket in use, startup
   * timeout, health failure) as `initializing` + `restarting`.
   */
  #observed(sidecar: SidecarPart): SidecarPart {
    const { ctx, status } = this.#d;
    const failed = (why: string): void => {
      if (ctx.stopping) return;
      status.set("initializing", "sidecar_restarting", { restarting: true, last_failure: why });
    };
    return {
      spawn: async (signal) => {
        try {
          await sidecar.spawn(signal);
        } catch (err) {
          const reason = (err as { reason?: unknown } | null)?.reason;
          failed(typeof reason === "string" ? reason : "exec_error");
          throw err;
        }
      },
      waitReady: async (signal, ceilingMs) => {
        const r = await sidecar.waitReady(signal, ceilingMs);
        // `exited` is reported by onExit, `incompatible` by the self-heal.
        if (!r.ok && r.reason !== "exited" && r.reason !== "incompatible" && !signal.aborted) {
          failed(r.reason === "timeout" ? "startup_timeout" : r.reason);
        }
        return r;
      },
      wait: () => sidecar.wait(),
      shutdown: (graceMs) => sidecar.shutdown(graceMs),
      get pid() {
        return sidecar.pid;
      },
    };
  }

  #onReady(detail: Record<string, unknown> | undefined): void {
    const { ctx, status, health } = this.#d;
    health.lifecycle(true);
    if (ctx.stopping) return;
    const h = detail?.health as Health | undefined;
    if (h && typeof h === "object" && typeof h.ready === "boolean") {
      health.apply({ class: "ok", value: h, status: 200 });
      if (status.status === "ready") return;
    }
    health.recheck();
  }

  #onExit(exit: { code: number | null; signal: string | null }, info: { wasReady: boolean; attempts: number }): void {
    const { ctx, status, health } = this.#d;
    health.lifecycle(false);
    if (ctx.stopping) return;
    ctx.logger.warn({ code: exit.code, signal: exit.signal, was_ready: info.wasReady }, "memory sidecar exited");
    status.set("initializing", "sidecar_restarting", {
      restarting: true,
      exit_code: exit.code,
      exit_signal: exit.signal,
      attempts: info.attempts,
    });
    ctx.callHook("onRestart", () => ctx.hooks.onRestart?.());
  }

  #onDegraded(reason: string, attempts: number, detail: Record<string, unknown>): void {
    const { ctx, status, health } = this.#d;
    health.lifecycle(false);
    if (ctx.stopping) return;
    const safe = contentFree(degradedDetail(detail));
    ctx.auditLog("memory_sidecar_degraded", { ...safe, reason, attempts });
    status.set("degraded", reason, { ...safe, attempts });
    // The bundle, not the sidecar, is what is wrong: keep pulling, so a compatible bundle can bring memory back.
    if (reason === "binary_too_old") this.#d.startPullSchedule();
  }
}

/** The supervisor's detail with a `health`/`last_health` body reduced to what explains the failure. */
function degradedDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const { health, last_health, ...rest } = detail;
  const h = (health ?? last_health) as Partial<Health> | null | undefined;
  if (h && typeof h === "object") {
    return {
      ...rest,
      bundle_id: h.bundle_id ?? null,
      schema_version: h.schema_version ?? null,
      supported_schema: h.supported_schema ?? null,
    };
  }
  return rest;
}
