import { performance } from "node:perf_hooks";
import type { Health, QueryIntent } from "@recall/protocol";
import { nullAudit, nullLogger, realClock } from "./clock";
import { contentFree, scrub } from "./content-free";
import { resolveOptions, type ResolvedOptions } from "./options";
import type { CallResult, ClientPart, PullerPart, ServiceParts, SidecarPart, SupervisorPart } from "./parts";
import type {
  AuditSink,
  Clock,
  Logger,
  PullNowOutcome,
  PullOutcome,
  QueryOptions,
  QueryOutcome,
  ServiceDeps,
  ServiceHooks,
  ServiceOptions,
  ServiceStatus,
  StatusSnapshot,
} from "./types";

/** Deadline of one health probe (docs/sidecar.md: attach probes use a 1 s ceiling). */
const HEALTH_PROBE_TIMEOUT_MS = 1000;
/** `snapshot()` re-reads the bundle root in the background at most this often. */
const BUNDLE_REFRESH_MIN_MS = 1000;
/** Extra time `stop()` gives the supervisor beyond the shutdown grace before it shuts the sidecar down itself. */
const STOP_SLACK_MS = 1000;
/** Longest single timer Node accepts (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Bundle = StatusSnapshot["bundle"];
type LastPull = StatusSnapshot["last_pull"];

/**
 * The status machine of docs/status.md over injectable parts. {@link Service} is this
 * class wired to the real packages; tests give it small fakes.
 */
export class ServiceCore {
  readonly #o: ResolvedOptions;
  readonly #parts: ServiceParts;
  readonly #audit: AuditSink;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #hooks: ServiceHooks;
  readonly #abort = new AbortController();

  #status: ServiceStatus = "initializing";
  #reason: string | null = "not_started";
  #detail: Record<string, unknown> = {};
  #readySince: string | null = null;

  #startPromise: Promise<void> | null = null;
  #stopPromise: Promise<void> | null = null;
  #stopping = false;

  #client: ClientPart | null = null;
  #sidecar: SidecarPart | null = null;
  #supervisor: SupervisorPart | null = null;
  #supervisorRun: Promise<void> | null = null;
  #supervisorActive = false;
  #rerunSupervisor = false;
  #puller: PullerPart | null = null;
  #pullerRun: Promise<void> | null = null;
  #bootstrapFailed = false;

  /** Spawn mode: a child is up (between `onReady` and its exit). */
  #sidecarUp = false;
  /** Bumped on every sidecar lifecycle event, so a probe started before it cannot overwrite newer news. */
  #generation = 0;
  #watch: Promise<void> | null = null;
  #wake: AbortController | null = null;
  #probeAgain = false;
  #attachPid: number | null = null;

  #bundle: Omit<Bundle, "expired"> = { bundle_id: null, schema_version: null, installed_at: null, expires_at: null };
  /** The bundle whose expiry was last audited (memory_bundle_expired fires once per bundle). */
  #expiredNoticeFor: string | null = null;
  #expiryTimer: AbortController | null = null;
  #expiryTimerFor: string | null = null;
  /** Set while the bootstrap pull runs: its failure has its own event, not memory_reload_failed. */
  #bootstrapping = false;
  /** Set while a self-heal pull runs (it has memory_self_heal_failed). */
  #selfHealing = false;
  #lastPull: LastPull = { at: null, outcome: null, error: null };
  #bundleRefresh: Promise<void> | null = null;
  #bundleRefreshAgain = false;
  #bundleRefreshNext: Promise<void> | null = null;
  #bundleRefreshedAt = Number.NEGATIVE_INFINITY;

  /**
   * Validates and freezes `options` (throws `ServiceOptionsError` on a
   * malformed object, a programmer error); does no I/O.
   */
  constructor(options: ServiceOptions, deps: ServiceDeps & { parts: ServiceParts }) {
    this.#o = resolveOptions(options);
    this.#parts = deps.parts;
    this.#audit = deps.audit ?? nullAudit;
    this.#logger = deps.logger ?? nullLogger;
    this.#clock = deps.clock ?? realClock;
    this.#hooks = deps.hooks ?? {};
  }

  /** Current status; `ready` exactly while queries go to the sidecar. */
  get status(): ServiceStatus {
    return this.#status;
  }

  /**
   * Runs the docs/status.md start gates and, in cloud mode without a valid `current`,
   * the bootstrap pull; then leaves the supervisor (spawn) or the health
   * probe (attach) running in the background. Never throws; idempotent.
   */
  start(): Promise<void> {
    this.#startPromise ??= this.#doStart().catch((err: unknown) => {
      this.#logger.error({ err: this.#errorSummary(err) }, "memory service failed to start");
      this.#setStatus("degraded", "internal", {});
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
      this.#logger.error({ err: this.#errorSummary(err) }, "memory service stop failed");
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
    if (this.#status !== "ready" || client === null) {
      return this.#answerNotReady(intent, t0, this.#reason ?? this.#status);
    }
    const timeoutMs = opts.timeoutMs ?? this.#o.requestTimeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return Promise.resolve({ class: "bad_request", error: { code: "bad_timeout", message: "timeoutMs must be a positive number" } });
    }
    return this.#queryReady(client, intent, opts.signal, timeoutMs, t0).catch((err: unknown) => {
      this.#logger.error({ err: this.#errorSummary(err) }, "memory query failed unexpectedly");
      this.#callHook("onQuery", () => this.#hooks.onQuery?.("internal", performance.now() - t0));
      return { class: "internal" as const, error: { code: "internal", message: "query failed unexpectedly" } };
    });
  }

  /**
   * Cloud: one pull now. Local: asks the sidecar to re-read `current`
   * (`reloaded`). `disabled` when no pull can run (provider disabled, a
   * start gate failed, not started, stopped). Never throws.
   */
  async pullNow(): Promise<PullNowOutcome> {
    if (this.#o.provider === "disabled") return { outcome: "disabled", reason: "provider_disabled" };
    if (this.#stopping) return { outcome: "disabled", reason: "stopped" };
    if (this.#o.provider === "cloud") {
      const puller = this.#puller;
      if (puller === null) return { outcome: "disabled", reason: this.#reason ?? "not_started" };
      let outcome: PullOutcome;
      try {
        outcome = await puller.pullNow();
      } catch (err) {
        this.#logger.error({ err: this.#errorSummary(err) }, "memory pull threw");
        outcome = { outcome: "failed", reason: "internal", message: "pull failed unexpectedly" };
      }
      await this.#refreshBundle();
      return outcome;
    }
    const client = this.#client;
    if (client === null) return { outcome: "disabled", reason: this.#reason ?? "not_started" };
    let r: CallResult<{ bundle_id: string | null; changed: boolean }>;
    try {
      r = await client.reload({ signal: this.#abort.signal, timeoutMs: this.#o.requestTimeoutMs });
    } catch (err) {
      this.#logger.error({ err: this.#errorSummary(err) }, "memory reload threw");
      r = { class: "internal", error: { code: "internal", message: "reload failed unexpectedly" } };
    }
    void this.#refreshBundle();
    this.#recheck();
    if (r.class === "ok") return { outcome: "reloaded", bundle_id: r.value.bundle_id, changed: r.value.changed };
    // seed parity: a failed sidecar reload call is memory_reload_failed (the puller does the same after an install)
    if (!this.#stopping) this.#auditLog("memory_reload_failed", { reason: "sidecar_reload", class: r.class, code: r.error.code });
    return { outcome: "failed", reason: r.class, message: r.error.message };
  }

  /** The `/status` shape of docs/status.md (a fresh object; never holds secrets). */
  snapshot(): StatusSnapshot {
    if (
      this.#o.provider !== "disabled" &&
      this.#bundleRefresh === null &&
      this.#clock.now() - this.#bundleRefreshedAt >= BUNDLE_REFRESH_MIN_MS &&
      !this.#stopping
    ) {
      void this.#refreshBundle();
    }
    const sup = this.#supervisor?.snapshot();
    const pid = this.#o.mode === "spawn" ? (this.#sidecarUp ? (this.#sidecar?.pid ?? null) : null) : this.#attachPid;
    const expired = this.#checkExpiry();
    return {
      version: this.#o.version,
      provider: this.#o.provider,
      mode: this.#o.mode,
      status: this.#status,
      reason: this.#reason,
      detail: expired ? { ...this.#detail, bundle_expired: true, expires_at: this.#bundle.expires_at } : { ...this.#detail },
      sidecar: { pid, restarts: sup?.restarts ?? 0, ready_since: this.#readySince },
      bundle: { ...this.#bundle, expired },
      last_pull: { ...this.#lastPull },
    };
  }

  // ---------------------------------------------------------------- start

  async #doStart(): Promise<void> {
    if (this.#stopping) return;
    const o = this.#o;
    // Gate 1: disabled.
    if (o.provider === "disabled") {
      this.#setStatus("disabled", "provider_disabled", {});
      return;
    }
    // Gate 2: spawn mode needs a binary.
    let binary: string | null = null;
    if (o.mode === "spawn") {
      const r = this.#parts.resolveBinary(o.tlmPath);
      if (!r.ok) {
        const tlm_path_set = o.tlmPath !== "";
        this.#auditLog("memory_tlm_missing", { tlm_path_set });
        this.#setStatus("unavailable", "binary_missing", { tlm_path_set });
        return;
      }
      binary = r.path;
    }
    // Gate 3: cloud needs an endpoint and a key.
    if (o.provider === "cloud") {
      const endpoint_resolved = o.puller.endpoint !== "";
      const api_key_present = o.puller.apiKey !== "";
      if (!endpoint_resolved || !api_key_present) {
        this.#auditLog("memory_cloud_misconfigured", { endpoint_resolved, api_key_present });
        this.#setStatus("unavailable", "cloud_misconfigured", { endpoint_resolved, api_key_present });
        return;
      }
    }
    this.#setStatus("initializing", null, {});
    this.#client = this.#parts.createClient({ socketPath: o.socketPath, requestTimeoutMs: o.requestTimeoutMs });
    // docs/bundle-root.md: leftovers of an interrupted pull go at every start (skipped while another pull holds the lock).
    await this.#parts.recoverBundleRoot(o.bundleRoot).catch((err: unknown) => {
      this.#logger.warn({ err: this.#errorSummary(err) }, "memory bundle root recovery failed");
    });
    await this.#refreshBundle();

    if (o.provider === "cloud") {
      this.#puller = this.#parts.createPuller({
        ...o.puller,
        publicKeys: [...o.puller.publicKeys],
        audit: this.#audit,
        logger: this.#logger,
        clock: this.#clock,
        onTick: (outcome, m) => this.#afterPull(outcome, m),
      });
      if (!(await this.#parts.hasValidCurrent(o.bundleRoot))) await this.#bootstrap();
    }
    if (this.#stopping) return;

    if (o.mode === "attach") {
      this.#recheck();
      return;
    }
    this.#startSupervisor(binary as string);
  }

  async #bootstrap(): Promise<void> {
    const puller = this.#puller as PullerPart;
    this.#setStatus("initializing", "bootstrap_pull", { bootstrap: true });
    const deadline = new AbortController();
    const timer = new AbortController();
    let timedOut = false;
    this.#clock.sleep(this.#o.bootstrapTimeoutMs, timer.signal).then(
      () => {
        timedOut = true;
        deadline.abort(new Error("bootstrap pull deadline"));
      },
      () => {},
    );
    const signal = AbortSignal.any([this.#abort.signal, deadline.signal]);
    let result: PullOutcome;
    let durationMs: number;
    this.#bootstrapping = true;
    try {
      ({ outcome: result, durationMs } = await this.#tick(puller, signal));
    } finally {
      this.#bootstrapping = false;
      timer.abort();
    }
    if (this.#stopping) return;
    const ok = result.outcome === "installed" || result.outcome === "unchanged" || result.outcome === "none";
    this.#bootstrapFailed = result.outcome !== "installed" && result.outcome !== "unchanged";
    const fields: Record<string, unknown> = { outcome: result.outcome, duration_ms: Math.round(durationMs) };
    if (result.outcome === "installed") {
      fields.bundle_id = result.bundle_id;
      fields.schema_version = result.schema_version;
    }
    if (result.outcome === "rejected" || result.outcome === "failed") fields.reason = result.reason;
    if (timedOut) fields.reason = "bootstrap_timeout";
    this.#auditLog(ok ? "memory_bootstrap_pull_ok" : "memory_bootstrap_pull_failed", fields);
    this.#setStatus("initializing", null, {});
  }

  #startSupervisor(binary: string): void {
    const o = this.#o;
    const sidecarOpts: Parameters<ServiceParts["createSidecar"]>[0] = {
      socketPath: o.socketPath,
      bundleRoot: o.bundleRoot,
      binary,
      logger: this.#logger,
    };
    if (o.sidecarExtraArgs) sidecarOpts.extraArgs = [...o.sidecarExtraArgs];
    if (o.sidecarEnv) sidecarOpts.env = o.sidecarEnv;
    if (o.sidecarPollIntervalMs !== undefined) sidecarOpts.pollIntervalMs = o.sidecarPollIntervalMs;
    const sidecar = this.#parts.createSidecar(sidecarOpts);
    this.#sidecar = sidecar;
    const supervisor = this.#parts.createSupervisor(this.#observedSpawner(sidecar), {
      maxAttempts: o.restartMax,
      readyTimeoutMs: o.readyTimeoutMs,
      backoff: { ...o.backoff },
      stableAfterMs: o.stableAfterMs,
      shutdownGraceMs: o.shutdownGraceMs,
      clock: this.#clock,
      logger: this.#logger,
      onReady: (info) => this.#onReady(info.detail),
      onExit: (exit, info) => this.#onExit(exit, info),
      onDegraded: (reason, attempts, detail) => this.#onDegraded(reason, attempts, detail),
      onIncompatible: () => this.#selfHeal(),
    });
    this.#supervisor = supervisor;
    this.#runSupervisor();
  }

  /**
   * The sidecar as the supervisor sees it, reporting failed starts that the
   * supervisor has no callback for (exec error, socket in use, startup
   * timeout, health failure) as `initializing` + `restarting`.
   */
  #observedSpawner(sidecar: SidecarPart): SidecarPart {
    const failed = (why: string): void => {
      if (this.#stopping) return;
      this.#setStatus("initializing", "sidecar_restarting", { restarting: true, last_failure: why });
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

  /** Runs the supervisor loop in the background (again, after it ended degraded). */
  #runSupervisor(): void {
    const supervisor = this.#supervisor;
    if (supervisor === null || this.#stopping) return;
    if (this.#supervisorActive) {
      // It is just ending (onDegraded fires before run() resolves): run again right after.
      this.#rerunSupervisor = true;
      return;
    }
    this.#supervisorActive = true;
    this.#rerunSupervisor = false;
    this.#supervisorRun = supervisor.run(this.#abort.signal).then(
      (outcome) => {
        this.#supervisorActive = false;
        this.#sidecarUp = false;
        this.#logger.info({ outcome }, "memory supervisor finished");
        if (this.#rerunSupervisor) this.#runSupervisor();
      },
      (err: unknown) => {
        this.#supervisorActive = false;
        this.#sidecarUp = false;
        this.#logger.error({ err: this.#errorSummary(err) }, "memory supervisor failed");
        if (!this.#stopping) this.#setStatus("degraded", "internal", {});
      },
    );
  }

  // ---------------------------------------------------------------- supervisor callbacks

  #onReady(detail: Record<string, unknown> | undefined): void {
    this.#sidecarUp = true;
    this.#generation++;
    if (this.#stopping) return;
    const health = detail?.health as Health | undefined;
    if (health && typeof health === "object" && typeof health.ready === "boolean") {
      this.#applyHealth({ class: "ok", value: health, status: 200 });
      if (this.#status === "ready") return;
    }
    this.#recheck();
  }

  #onExit(exit: { code: number | null; signal: string | null }, info: { wasReady: boolean; attempts: number }): void {
    this.#sidecarUp = false;
    this.#generation++;
    if (this.#stopping) return;
    this.#logger.warn({ code: exit.code, signal: exit.signal, was_ready: info.wasReady }, "memory sidecar exited");
    this.#setStatus("initializing", "sidecar_restarting", {
      restarting: true,
      exit_code: exit.code,
      exit_signal: exit.signal,
      attempts: info.attempts,
    });
    this.#callHook("onRestart", () => this.#hooks.onRestart?.());
  }

  #onDegraded(reason: string, attempts: number, detail: Record<string, unknown>): void {
    this.#sidecarUp = false;
    this.#generation++;
    if (this.#stopping) return;
    const safe = contentFree(degradedDetail(detail));
    this.#auditLog("memory_sidecar_degraded", { ...safe, reason, attempts });
    this.#setStatus("degraded", reason, { ...safe, attempts });
    // The bundle, not the sidecar, is what is wrong: keep pulling, so a compatible bundle can bring memory back.
    if (reason === "binary_too_old") this.#startPullerOnce();
  }

  async #selfHeal(): Promise<void> {
    if (this.#stopping) return;
    this.#auditLog("memory_self_heal_attempt", { provider: this.#o.provider, bundle_id: this.#bundle.bundle_id });
    this.#setStatus("initializing", "self_heal", { self_healing: true });
    const puller = this.#puller;
    if (this.#o.provider !== "cloud" || puller === null) {
      this.#auditLog("memory_self_heal_failed", { reason: "no_remote" });
      return;
    }
    this.#selfHealing = true;
    let outcome: PullOutcome;
    try {
      ({ outcome } = await this.#tick(puller, this.#abort.signal));
    } finally {
      this.#selfHealing = false;
    }
    if (this.#stopping) return;
    if (outcome.outcome === "installed") {
      this.#auditLog("memory_self_heal_ok", { bundle_id: outcome.bundle_id, schema_version: outcome.schema_version });
    } else {
      const fields: Record<string, unknown> = { outcome: outcome.outcome };
      if (outcome.outcome === "rejected" || outcome.outcome === "failed") fields.reason = outcome.reason;
      this.#auditLog("memory_self_heal_failed", fields);
    }
  }

  // ---------------------------------------------------------------- health

  /** Probes health now (or as soon as the running probe loop can); loops while not ready. */
  #recheck(): void {
    if (this.#stopping || this.#client === null) return;
    if (this.#watch !== null) {
      this.#probeAgain = true;
      this.#wake?.abort();
      return;
    }
    this.#watch = this.#watchLoop().finally(() => {
      this.#watch = null;
    });
  }

  async #watchLoop(): Promise<void> {
    const client = this.#client as ClientPart;
    for (;;) {
      if (this.#stopping) return;
      if (this.#o.mode === "spawn" && !this.#sidecarUp) return;
      this.#probeAgain = false;
      const gen = this.#generation;
      const r = await client.health({ signal: this.#abort.signal, timeoutMs: HEALTH_PROBE_TIMEOUT_MS });
      if (this.#stopping) return;
      if (gen !== this.#generation) continue;
      this.#applyHealth(r);
      if (this.#status === "ready") return;
      if (this.#probeAgain) continue;
      const wake = new AbortController();
      this.#wake = wake;
      try {
        await this.#clock.sleep(this.#o.attachProbeIntervalMs, AbortSignal.any([this.#abort.signal, wake.signal]));
      } catch {
        if (this.#abort.signal.aborted) return;
      } finally {
        this.#wake = null;
      }
    }
  }

  #applyHealth(r: CallResult<Health>): void {
    if (r.class !== "ok") {
      if (this.#o.mode === "attach") this.#attachPid = null;
      this.#setStatus("unavailable", "sidecar_unreachable", { class: r.class, code: r.error.code });
      return;
    }
    const h = r.value;
    if (this.#o.mode === "attach") this.#attachPid = h.pid;
    if (h.ready || h.compatibility === "unknown") this.#startPullerOnce();
    if (h.bundle_id !== this.#bundle.bundle_id) {
      // The sidecar's word is the freshest: show it at once (a status read right after "ready"
      // must name the bundle being served); the refresh fills installed_at from state.json.
      if (h.ready) {
        this.#bundle = { bundle_id: h.bundle_id, schema_version: h.schema_version, installed_at: this.#bundle.installed_at, expires_at: healthExpiresAt(h) };
        this.#armExpiry();
      }
      void this.#refreshBundle();
    }
    if (h.ready) {
      this.#setStatus("ready", null, {});
    } else if (h.compatibility === "incompatible") {
      this.#setStatus("unavailable", "incompatible_bundle", {
        sub_code: h.error?.sub_code ?? null,
        schema_version: h.schema_version,
        supported_schema: h.supported_schema,
      });
    } else {
      this.#setStatus("unavailable", "no_bundle", {});
    }
  }

  // ---------------------------------------------------------------- pulls

  #startPullerOnce(): void {
    const puller = this.#puller;
    if (puller === null || this.#pullerRun !== null || this.#stopping) return;
    this.#pullerRun = puller
      .runSchedule({
        signal: this.#abort.signal,
        bootstrap: this.#bootstrapFailed,
      })
      .catch((err: unknown) => {
        this.#logger.error({ err: this.#errorSummary(err) }, "memory pull schedule failed");
      });
  }

  /** One pull outside the schedule (bootstrap, self-heal); `onTick` reports it to the hooks. */
  async #tick(puller: PullerPart, signal: AbortSignal): Promise<{ outcome: PullOutcome; durationMs: number }> {
    const t0 = this.#clock.now();
    let outcome: PullOutcome;
    try {
      outcome = await puller.tick({ signal });
    } catch (err) {
      this.#logger.error({ err: this.#errorSummary(err) }, "memory pull threw");
      outcome = { outcome: "failed", reason: "internal", message: "pull failed unexpectedly" };
    }
    return { outcome, durationMs: this.#clock.now() - t0 };
  }

  /** After every pull, wherever it ran: metrics hook, bundle info, and a health re-check when a bundle arrived. */
  #afterPull(o: PullOutcome, m: { durationMs: number; bytes: number }): void {
    this.#callHook("onPull", () => this.#hooks.onPull?.(o, m));
    // Seed parity: every failed or rejected scheduled (or pullNow) pull, beside the puller's finer memory_bundle_* event.
    const failedPull = o.outcome === "rejected" || (o.outcome === "failed" && o.reason !== "aborted");
    if (failedPull && !this.#bootstrapping && !this.#selfHealing && !this.#stopping) {
      this.#auditLog("memory_reload_failed", { reason: o.reason, outcome: o.outcome });
    }
    // A 304 skips the manifest policy: the refresh below re-reads expires_at and checks it.
    void this.#refreshBundle();
    if (o.outcome !== "installed" || this.#stopping) return;
    if (this.#status === "degraded" && this.#reason === "binary_too_old" && this.#o.mode === "spawn") {
      // A new bundle may be one this sidecar can serve: give the supervisor a fresh budget.
      this.#logger.info({ bundle_id: o.bundle_id }, "new bundle while degraded: restarting the sidecar");
      this.#setStatus("initializing", "new_bundle", {});
      this.#runSupervisor();
      return;
    }
    // A new bundle may make a waiting sidecar ready (or show a new bundle_id).
    if (this.#status !== "ready") this.#recheck();
  }

  #refreshBundle(): Promise<void> {
    if (this.#bundleRefresh !== null) {
      // A read already in flight may predate the change that asked for this one: its result is
      // dropped and one more read follows it (shared by every caller that asked meanwhile).
      this.#bundleRefreshAgain = true;
      this.#bundleRefreshNext ??= this.#bundleRefresh.then(() => {
        this.#bundleRefreshNext = null;
        return this.#refreshBundle();
      });
      return this.#bundleRefreshNext;
    }
    this.#bundleRefreshAgain = false;
    this.#bundleRefresh = this.#parts
      .readBundleState(this.#o.bundleRoot)
      .then(
        (s) => {
          if (this.#bundleRefreshAgain) return; // stale: a newer read follows
          this.#bundle = s.current
            ? {
                bundle_id: s.current.bundle_id,
                schema_version: s.current.schema_version,
                installed_at: s.current.installed_at,
                expires_at: s.current.expires_at ?? null,
              }
            : { bundle_id: null, schema_version: null, installed_at: null, expires_at: null };
          this.#armExpiry();
          this.#checkExpiry();
          const lp = s.state?.last_pull ?? null;
          this.#lastPull = lp
            ? { at: lp.at, outcome: lp.outcome, error: lp.error ?? null }
            : { at: null, outcome: null, error: null };
        },
        (err: unknown) => {
          this.#logger.debug({ err: this.#errorSummary(err) }, "memory bundle state unreadable");
        },
      )
      .finally(() => {
        this.#bundleRefresh = null;
        this.#bundleRefreshedAt = this.#clock.now();
      });
    return this.#bundleRefresh;
  }

  // ---------------------------------------------------------------- expiry

  /**
   * Whether the installed bundle is past its `expires_at` now. The first time a
   * bundle is found expired: audit `memory_bundle_expired` (once per bundle), a
   * log warning and an `onStatus` call. The bundle keeps being served
   * (serve-with-warning, docs/status.md).
   */
  #checkExpiry(): boolean {
    const { bundle_id, expires_at } = this.#bundle;
    if (bundle_id === null || expires_at === null) return false;
    const at = Date.parse(expires_at);
    if (!Number.isFinite(at) || at > this.#clock.now()) return false;
    if (this.#expiredNoticeFor !== bundle_id) {
      this.#expiredNoticeFor = bundle_id;
      this.#auditLog("memory_bundle_expired", { bundle_id, expires_at });
      this.#logger.warn({ bundle_id, expires_at }, "memory bundle expired: still served until a newer one is installed");
      if (this.#hooks.onStatus) {
        const snap = this.snapshot();
        this.#callHook("onStatus", () => this.#hooks.onStatus?.(snap));
      }
    }
    return true;
  }

  /** Wakes {@link #checkExpiry} when the installed bundle's `expires_at` comes, without waiting for a pull. */
  #armExpiry(): void {
    const { bundle_id, expires_at } = this.#bundle;
    const key = bundle_id !== null && expires_at !== null ? `${bundle_id}@${expires_at}` : null;
    if (key === this.#expiryTimerFor) return;
    this.#expiryTimer?.abort();
    this.#expiryTimer = null;
    this.#expiryTimerFor = key;
    const at = expires_at === null ? Number.NaN : Date.parse(expires_at);
    if (key === null || !Number.isFinite(at) || this.#stopping) return;
    const timer = new AbortController();
    this.#expiryTimer = timer;
    const signal = AbortSignal.any([timer.signal, this.#abort.signal]);
    void (async () => {
      for (let left = at - this.#clock.now(); left > 0; left = at - this.#clock.now()) {
        await this.#clock.sleep(Math.min(left, MAX_TIMER_MS), signal);
      }
      if (!signal.aborted) this.#checkExpiry();
    })().catch(() => {});
  }

  // ---------------------------------------------------------------- queries

  async #answerNotReady(intent: QueryIntent, t0: number, reason: string): Promise<QueryOutcome> {
    const fallback = this.#o.fallback;
    const error = { code: "not_ready", message: `memory is not ready (${this.#status}: ${reason})` };
    if (fallback === undefined) {
      this.#callHook("onQuery", () => this.#hooks.onQuery?.("unavailable", performance.now() - t0));
      return { class: "unavailable", error };
    }
    return this.#answerFallback(intent, t0, reason, error);
  }

  async #answerFallback(
    intent: QueryIntent,
    t0: number,
    reason: string,
    error: { code: string; message: string },
  ): Promise<QueryOutcome> {
    const fallback = this.#o.fallback as NonNullable<ResolvedOptions["fallback"]>;
    let results;
    try {
      results = await fallback(intent);
    } catch (err) {
      this.#logger.warn({ err: this.#errorSummary(err) }, "memory fallback failed");
      this.#callHook("onQuery", () => this.#hooks.onQuery?.("unavailable", performance.now() - t0));
      return { class: "unavailable", error };
    }
    const limit = intent.limit ?? 10;
    const took = performance.now() - t0;
    this.#callHook("onQuery", () => this.#hooks.onQuery?.("unavailable", took));
    return {
      class: "unavailable",
      error,
      envelope: {
        source: "fallback",
        bundle_id: null,
        took_ms: took,
        truncated: results.length > limit,
        evidence_quality: "text_search",
        fallback_reason: reason,
        results: results.slice(0, limit),
      },
    };
  }

  async #queryReady(
    client: ClientPart,
    intent: QueryIntent,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    t0: number,
  ): Promise<QueryOutcome> {
    const call: { signal?: AbortSignal; timeoutMs: number } = { timeoutMs };
    if (signal) call.signal = signal;
    const r = await client.query(intent, call);
    if (r.class === "ok") {
      this.#callHook("onQuery", () => this.#hooks.onQuery?.("ok", performance.now() - t0));
      return { class: "ok", envelope: r.value };
    }
    const error = { code: r.error.code, message: r.error.message };
    if (r.class === "unavailable" || r.class === "incompatible") {
      this.#recheck();
      if (this.#o.fallback !== undefined) return this.#answerFallback(intent, t0, `sidecar_${r.error.code}`, error);
    }
    this.#callHook("onQuery", () => this.#hooks.onQuery?.(r.class, performance.now() - t0));
    return { class: r.class, error };
  }

  // ---------------------------------------------------------------- stop

  async #doStop(): Promise<void> {
    this.#stopping = true;
    this.#abort.abort(new Error("memory service stopped"));
    this.#expiryTimer?.abort();
    this.#wake?.abort();
    const grace = this.#o.shutdownGraceMs;
    await this.#startPromise;
    if (this.#supervisorRun) await this.#bounded(this.#supervisorRun, grace + STOP_SLACK_MS);
    // Covers a supervisor that did not finish in time; shutdown is idempotent.
    if (this.#sidecar) await this.#sidecar.shutdown(grace);
    this.#sidecarUp = false;
    await Promise.all([
      this.#pullerRun ? this.#bounded(this.#pullerRun, STOP_SLACK_MS) : undefined,
      this.#watch ? this.#bounded(this.#watch, STOP_SLACK_MS) : undefined,
      this.#bundleRefresh,
    ]);
    await this.#client?.close().catch(() => {});
    if (this.#status !== "disabled") this.#setStatus("unavailable", "stopped", {});
  }

  async #bounded(p: Promise<unknown>, ms: number): Promise<void> {
    const timer = new AbortController();
    await Promise.race([p.catch(() => {}), this.#clock.sleep(ms, timer.signal).catch(() => {})]);
    timer.abort();
  }

  // ---------------------------------------------------------------- helpers

  #setStatus(status: ServiceStatus, reason: string | null, detail: Record<string, unknown>): void {
    const prev = this.#status;
    const changed = status !== prev || reason !== this.#reason || !shallowEqual(detail, this.#detail);
    if (!changed) return;
    this.#status = status;
    this.#reason = reason;
    this.#detail = detail;
    if (status === "ready" && prev !== "ready") this.#readySince = new Date(this.#clock.now()).toISOString();
    if (status !== "ready") this.#readySince = null;
    this.#logger.info({ status, reason, detail }, "memory status");
    if (this.#hooks.onStatus) {
      const snap = this.snapshot();
      this.#callHook("onStatus", () => this.#hooks.onStatus?.(snap));
    }
  }

  #auditLog(event: string, fields: Record<string, unknown>): void {
    try {
      this.#audit.log(event, fields);
    } catch (err) {
      this.#logger.warn({ err: this.#errorSummary(err), event }, "audit sink failed");
    }
  }

  /** Name, code and message (scrubbed of the API key) of a foreign error, for logs. */
  #errorSummary(err: unknown): { name: string; code?: string; message: string } {
    if (!(err instanceof Error)) return { name: typeof err, message: "" };
    const code = (err as { code?: unknown }).code;
    const message = scrub(err.message, this.#o.puller.apiKey);
    return typeof code === "string" ? { name: err.name, code, message } : { name: err.name, message };
  }

  #callHook(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#logger.warn({ err: this.#errorSummary(err), hook: name }, "memory service hook failed");
    }
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

/** `expires_at` from a sidecar's health body, when the sidecar reports one (tlm does; the protocol keeps it optional). */
function healthExpiresAt(h: Health): string | null {
  const v = (h as { expires_at?: unknown }).expires_at;
  return typeof v === "string" ? v : null;
}

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is(a[k], b[k]));
}

