import { performance } from "node:perf_hooks";
import type { QueryIntent } from "@recall/protocol";
import { BundleInfo } from "./bundle-info";
import { ServiceContext } from "./context";
import { HealthWatch } from "./health-watch";
import { resolveOptions } from "./options";
import type { ClientPart, ServiceParts } from "./parts";
import { PullCoordinator } from "./pulls";
import { QueryPath } from "./query";
import { decideStart, needsBinary } from "./start-gates";
import { StatusMachine } from "./status";
import { SupervisorWiring } from "./supervisor-wiring";
import type { PullNowOutcome, QueryOptions, QueryOutcome, ServiceDeps, ServiceOptions, ServiceStatus, StatusSnapshot } from "./types";

/** Extra time `stop()` gives the pull schedule and the health probe after the stop signal. */
const STOP_SLACK_MS = 1000;

/**
 * The status machine of docs/status.md over injectable parts. {@link Service} is this
 * class wired to the real packages; tests give it small fakes.
 *
 * It composes one object per concern: the start gates (start-gates.ts, pure), the
 * status (status.ts), bundle info and expiry (bundle-info.ts), the health watch
 * (health-watch.ts), pulls and the bootstrap (pulls.ts, bootstrap.ts), the
 * supervisor (supervisor-wiring.ts) and queries with the fallback (query.ts).
 */
export class ServiceCore {
  readonly #ctx: ServiceContext;
  readonly #status: StatusMachine;
  readonly #bundle: BundleInfo;
  readonly #health: HealthWatch;
  readonly #pulls: PullCoordinator;
  readonly #supervisor: SupervisorWiring;
  readonly #query: QueryPath;
  #client: ClientPart | null = null;
  #startPromise: Promise<void> | null = null;
  #stopPromise: Promise<void> | null = null;

  /**
   * Validates and freezes `options` (throws `ServiceOptionsError` on a
   * malformed object, a programmer error); does no I/O.
   */
  constructor(options: ServiceOptions, deps: ServiceDeps & { parts: ServiceParts }) {
    const ctx = new ServiceContext(resolveOptions(options), deps);
    this.#ctx = ctx;
    this.#status = new StatusMachine(ctx.clock, ctx.logger, () => this.#emitStatus());
    this.#bundle = new BundleInfo(ctx, () => this.#emitStatus());
    this.#health = new HealthWatch({
      ctx,
      status: this.#status,
      bundle: this.#bundle,
      client: () => this.#client,
      startPullSchedule: () => this.#pulls.startSchedule(),
    });
    this.#pulls = new PullCoordinator({
      ctx,
      status: this.#status,
      bundle: this.#bundle,
      recheck: () => this.#health.recheck(),
      rerunSupervisor: () => this.#supervisor.run(),
    });
    this.#supervisor = new SupervisorWiring({
      ctx,
      status: this.#status,
      health: this.#health,
      startPullSchedule: () => this.#pulls.startSchedule(),
      selfHeal: () => this.#pulls.selfHeal(),
    });
    this.#query = new QueryPath(ctx, () => this.#health.recheck());
  }

  /** Current status; `ready` exactly while queries go to the sidecar. */
  get status(): ServiceStatus {
    return this.#status.status;
  }

  /**
   * Runs the docs/status.md start gates and, in cloud mode without a valid `current`,
   * the bootstrap pull; then leaves the supervisor (spawn) or the health
   * probe (attach) running in the background. Never throws; idempotent.
   */
  start(): Promise<void> {
    this.#startPromise ??= this.#doStart().catch((err: unknown) => {
      this.#ctx.logger.error({ err: this.#ctx.errorSummary(err) }, "memory service failed to start");
      this.#status.set("degraded", "internal", {});
    });
    return this.#startPromise;
  }

  /**
   * Aborts every loop, shuts the sidecar down within `shutdownGraceMs`,
   * closes the client. Idempotent and safe to call concurrently (every call
   * gets the same promise); never throws.
   */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#doStop().catch((err: unknown) => {
      this.#ctx.logger.error({ err: this.#ctx.errorSummary(err) }, "memory service stop failed");
    });
    return this.#stopPromise;
  }

  /**
   * Answers a query. Not ready: `unavailable` at once, with no I/O (the
   * configured fallback, if any, provides the envelope). Ready: the sidecar's
   * answer within `timeoutMs` (default `requestTimeoutMs`); an `unavailable`
   * or `incompatible` answer triggers a health re-check. Never throws.
   */
  query(intent: QueryIntent, opts: QueryOptions = {}): Promise<QueryOutcome> {
    const t0 = performance.now();
    const client = this.#client;
    const status = this.#status.status;
    if (status !== "ready" || client === null) {
      return this.#query.notReady(intent, t0, status, this.#status.reason ?? status);
    }
    const timeoutMs = opts.timeoutMs ?? this.#ctx.o.requestTimeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return Promise.resolve({ class: "bad_request", error: { code: "bad_timeout", message: "timeoutMs must be a positive number" } });
    }
    return this.#query.ready(client, intent, opts.signal, timeoutMs, t0).catch((err: unknown) => this.#query.internal(err, t0));
  }

  /**
   * Cloud: one pull now. Local: asks the sidecar to re-read `current`
   * (`reloaded`). `disabled` when no pull can run (provider disabled, a
   * start gate failed, not started, stopped). Never throws.
   */
  async pullNow(): Promise<PullNowOutcome> {
    const ctx = this.#ctx;
    if (ctx.o.provider === "disabled") return { outcome: "disabled", reason: "provider_disabled" };
    if (ctx.stopping) return { outcome: "disabled", reason: "stopped" };
    const notStarted = { outcome: "disabled" as const, reason: this.#status.reason ?? "not_started" };
    if (ctx.o.provider === "cloud") {
      const puller = this.#pulls.puller;
      return puller === null ? notStarted : this.#pulls.pullNow(puller);
    }
    const client = this.#client;
    return client === null ? notStarted : this.#pulls.reloadLocal(client);
  }

  /** The `/status` shape of docs/status.md (a fresh object; never holds secrets). */
  snapshot(): StatusSnapshot {
    const o = this.#ctx.o;
    if (o.provider !== "disabled") this.#bundle.refreshIfStale();
    const pid = o.mode === "spawn" ? this.#supervisor.pid : this.#health.attachPid;
    const expired = this.#bundle.checkExpiry();
    const detail = this.#status.detail;
    return {
      version: o.version,
      provider: o.provider,
      mode: o.mode,
      status: this.#status.status,
      reason: this.#status.reason,
      detail: expired ? { ...detail, bundle_expired: true, expires_at: this.#bundle.expiresAt } : detail,
      sidecar: { pid, restarts: this.#supervisor.restarts, ready_since: this.#status.readySince },
      bundle: { ...this.#bundle.bundle, expired },
      last_pull: this.#bundle.lastPull,
    };
  }

  async #doStart(): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.stopping) return;
    const o = ctx.o;
    const decision = decideStart(o, { binary: needsBinary(o) ? ctx.parts.resolveBinary(o.tlmPath) : { ok: false } });
    if (decision.audit) ctx.auditLog(decision.audit.event, decision.audit.fields);
    this.#status.set(decision.status, decision.reason, decision.detail);
    if (!decision.proceed) return;

    this.#client = ctx.parts.createClient({ socketPath: o.socketPath, requestTimeoutMs: o.requestTimeoutMs });
    // docs/bundle-root.md: leftovers of an interrupted pull go at every start (skipped while another pull holds the lock).
    await ctx.parts.recoverBundleRoot(o.bundleRoot).catch((err: unknown) => {
      ctx.logger.warn({ err: ctx.errorSummary(err) }, "memory bundle root recovery failed");
    });
    await this.#bundle.refresh();
    if (o.provider === "cloud") await this.#pulls.setUp();
    if (ctx.stopping) return;

    if (decision.binary === null) {
      this.#health.recheck(); // attach mode
      return;
    }
    this.#supervisor.start(decision.binary);
  }

  async #doStop(): Promise<void> {
    const ctx = this.#ctx;
    ctx.beginStop();
    this.#bundle.stop();
    const watch = this.#health.stop();
    const grace = ctx.o.shutdownGraceMs;
    await this.#startPromise;
    await this.#supervisor.stop(grace);
    const pulls = this.#pulls.running;
    await Promise.all([
      pulls ? ctx.bounded(pulls, STOP_SLACK_MS) : undefined,
      watch ? ctx.bounded(watch, STOP_SLACK_MS) : undefined,
      this.#bundle.inFlight,
    ]);
    await this.#client?.close().catch(() => {});
    if (this.#status.status !== "disabled") this.#status.set("unavailable", "stopped", {});
  }

  /** Calls `onStatus` with a fresh snapshot (on every status change, and when a bundle is found expired). */
  #emitStatus(): void {
    const hooks = this.#ctx.hooks;
    if (!hooks.onStatus) return;
    const snap = this.snapshot();
    this.#ctx.callHook("onStatus", () => hooks.onStatus?.(snap));
  }
}
