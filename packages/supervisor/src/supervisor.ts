import { backoffDelay } from "./backoff";
import { realClock } from "./clock";
import { SupervisorError } from "./errors";
import type {
  BackoffOptions,
  Clock,
  DegradedReason,
  ExitInfo,
  Logger,
  ReadyResult,
  RunOutcome,
  Spawner,
  SupervisorOptions,
  SupervisorSnapshot,
  SupervisorState,
} from "./types";

/** The documented defaults (docs/sidecar.md). */
export const SUPERVISOR_DEFAULTS = Object.freeze({
  maxAttempts: 5,
  readyTimeoutMs: 10_000,
  backoff: Object.freeze({ initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2 }),
  stableAfterMs: 300_000,
  shutdownGraceMs: 2000,
});

type Resolved = Required<Pick<SupervisorOptions, "maxAttempts" | "readyTimeoutMs" | "stableAfterMs" | "shutdownGraceMs">> & {
  backoff: BackoffOptions;
  clock: Clock;
  random: () => number;
  logger: Logger | undefined;
  hooks: Pick<SupervisorOptions, "onReady" | "onExit" | "onDegraded" | "onIncompatible">;
};

const ABORTED = Symbol("aborted");
const SPAWN_REASONS = new Set<string>(["binary_missing", "exec_error", "socket_in_use"]);

/**
 * Keeps one child alive through a {@link Spawner}: spawn → waitReady → wait →
 * backoff → spawn…, with a restart budget (`maxAttempts`) that resets after
 * `stableAfterMs` of continuous readiness. Knows nothing about what the child
 * is. `run` never throws for child failures: it resolves `"stopped"` when its
 * signal aborts and `"degraded"` when it gives up (after `onDegraded`).
 */
export class Supervisor {
  readonly #spawner: Spawner;
  readonly #o: Resolved;
  #state: SupervisorState = "idle";
  #attempts = 0;
  #restarts = 0;
  #lastReason: DegradedReason | null = null;
  #lastExit: ExitInfo | null = null;
  #readySince: number | null = null;
  #nextRestartAt: number | null = null;
  #running = false;

  /** @throws SupervisorError `SUPERVISOR_INVALID_OPTIONS` on a non-finite or out-of-range option. */
  constructor(spawner: Spawner, options: SupervisorOptions = {}) {
    this.#spawner = spawner;
    const o: SupervisorOptions = { __proto__: null, ...options } as SupervisorOptions;
    const backoff: BackoffOptions = { ...SUPERVISOR_DEFAULTS.backoff, ...(o.backoff ?? {}) };
    const resolved: Resolved = {
      maxAttempts: o.maxAttempts ?? SUPERVISOR_DEFAULTS.maxAttempts,
      readyTimeoutMs: o.readyTimeoutMs ?? SUPERVISOR_DEFAULTS.readyTimeoutMs,
      stableAfterMs: o.stableAfterMs ?? SUPERVISOR_DEFAULTS.stableAfterMs,
      shutdownGraceMs: o.shutdownGraceMs ?? SUPERVISOR_DEFAULTS.shutdownGraceMs,
      backoff: Object.freeze(backoff),
      clock: o.clock ?? realClock,
      random: o.random ?? Math.random,
      logger: o.logger,
      hooks: Object.freeze({
        onReady: o.onReady,
        onExit: o.onExit,
        onDegraded: o.onDegraded,
        onIncompatible: o.onIncompatible,
      }),
    };
    checkInt("maxAttempts", resolved.maxAttempts, 1);
    checkInt("readyTimeoutMs", resolved.readyTimeoutMs, 0);
    checkInt("stableAfterMs", resolved.stableAfterMs, 0);
    checkInt("shutdownGraceMs", resolved.shutdownGraceMs, 0);
    checkNum("backoff.initialMs", backoff.initialMs, 0);
    checkNum("backoff.maxMs", backoff.maxMs, 0);
    checkNum("backoff.factor", backoff.factor, 1);
    checkNum("backoff.jitter", backoff.jitter, 0, 1);
    this.#o = Object.freeze(resolved);
  }

  /** The current state; a new frozen object on every call. */
  snapshot(): SupervisorSnapshot {
    return Object.freeze({
      state: this.#state,
      attempts: this.#attempts,
      restarts: this.#restarts,
      lastReason: this.#lastReason,
      lastExit: this.#lastExit,
      readySince: this.#readySince,
      nextRestartAt: this.#nextRestartAt,
    });
  }

  /**
   * Runs the loop until `signal` aborts (→ `"stopped"`, the child shut down)
   * or the supervisor gives up (→ `"degraded"`, the child shut down,
   * `onDegraded` called). Counters start from zero on every call.
   * @throws SupervisorError `SUPERVISOR_ALREADY_RUNNING` if called while running.
   */
  async run(signal: AbortSignal): Promise<RunOutcome> {
    if (this.#running) throw new SupervisorError("SUPERVISOR_ALREADY_RUNNING", "Supervisor.run is already running");
    this.#running = true;
    this.#attempts = 0;
    this.#restarts = 0;
    this.#lastReason = null;
    this.#lastExit = null;
    this.#readySince = null;
    this.#nextRestartAt = null;
    try {
      return await this.#loop(signal);
    } finally {
      this.#running = false;
    }
  }

  async #loop(signal: AbortSignal): Promise<RunOutcome> {
    const { clock, hooks } = this.#o;
    let spawns = 0;
    let incompatibleHookFired = false;
    for (;;) {
      if (signal.aborted) return this.#stop();
      this.#state = "starting";
      this.#nextRestartAt = null;
      if (spawns > 0) this.#restarts++;
      spawns++;

      const spawnP = settle(() => this.#spawner.spawn(signal));
      const spawned = await raceAbort(spawnP, signal);
      if (spawned === ABORTED) {
        // Let an in-flight spawn finish (bounded) so that shutdown sees the child it created.
        const bound = new AbortController();
        await Promise.race([spawnP, this.#o.clock.sleep(this.#o.shutdownGraceMs, bound.signal).catch(() => undefined)]);
        bound.abort();
        return this.#stop();
      }
      if (!spawned.ok) {
        const err = spawned.error;
        const reason = spawnReason(err);
        const detail = { message: messageOf(err) };
        await this.#shutdownChild();
        if (reason === "binary_missing") {
          this.#attempts++;
          return this.#degrade(reason, detail);
        }
        const out = await this.#failure(reason, detail, signal);
        if (out) return out;
        continue;
      }

      const readyP = settle(() => this.#spawner.waitReady(signal, this.#o.readyTimeoutMs));
      const settled = await raceAbort(readyP, signal);
      if (settled === ABORTED) return this.#stop();
      const ready: ReadyResult = settled.ok
        ? settled.value
        : { ok: false, reason: "health_failed", detail: { message: messageOf(settled.error) } };

      if (!ready.ok) {
        if (ready.reason === "incompatible") {
          if (!incompatibleHookFired) {
            incompatibleHookFired = true;
            this.#log("info", { detail: ready.detail }, "child incompatible: running onIncompatible, then one more start");
            // The child stays up during the hook so that whatever the hook installs can reach it.
            const hooked = await raceAbort(settle(async () => hooks.onIncompatible?.()), signal);
            if (hooked !== ABORTED && !hooked.ok) this.#hookFailed("onIncompatible", hooked.error);
            await this.#shutdownChild();
            if (hooked === ABORTED || signal.aborted) return this.#stop();
            continue;
          }
          await this.#shutdownChild();
          return this.#degrade("binary_too_old", { ...ready.detail });
        }
        if (ready.reason === "exited") {
          const exit = ready.exit ?? { code: null, signal: null };
          this.#lastExit = exit;
          this.#callHook("onExit", () =>
            hooks.onExit?.(exit, { wasReady: false, uptimeMs: 0, attempts: this.#attempts, restarts: this.#restarts }),
          );
        }
        await this.#shutdownChild();
        const reason: DegradedReason =
          ready.reason === "exited" ? "repeated_crash" : ready.reason === "timeout" ? "startup_timeout" : "health_failed";
        const detail = { ...ready.detail, ...(ready.exit ? { exit: ready.exit } : {}) };
        const out = await this.#failure(reason, detail, signal);
        if (out) return out;
        continue;
      }

      // Ready: stay here until the child exits or we are told to stop.
      incompatibleHookFired = false;
      const readySince = clock.now();
      this.#state = "ready";
      this.#readySince = readySince;
      this.#callHook("onReady", () =>
        hooks.onReady?.({
          attempts: this.#attempts,
          restarts: this.#restarts,
          readySince,
          ...(ready.detail ? { detail: ready.detail } : {}),
        }),
      );
      const stable = new AbortController();
      clock.sleep(this.#o.stableAfterMs, stable.signal).then(
        () => {
          if (this.#state === "ready" && this.#readySince === readySince) {
            this.#log("debug", { attempts: this.#attempts }, "child stable: attempt counter reset");
            this.#attempts = 0;
          }
        },
        () => undefined,
      );
      const waited = await raceAbort(settle(() => this.#spawner.wait()), signal);
      stable.abort();
      this.#readySince = null;
      if (waited === ABORTED) return this.#stop();
      const exit: ExitInfo = waited.ok ? waited.value : { code: null, signal: null };
      this.#lastExit = exit;
      const uptimeMs = Math.max(0, clock.now() - readySince);
      this.#log("warn", { exit, uptimeMs }, "child exited");
      this.#callHook("onExit", () =>
        hooks.onExit?.(exit, { wasReady: true, uptimeMs, attempts: this.#attempts, restarts: this.#restarts }),
      );
      // Reap what the child left behind (process group, socket) before the next spawn.
      await this.#shutdownChild();
      const out = await this.#failure("repeated_crash", { exit, uptime_ms: uptimeMs }, signal);
      if (out) return out;
    }
  }

  /** Counts a failure; returns the final outcome when the budget is spent or the signal aborts during backoff. */
  async #failure(reason: DegradedReason, detail: Record<string, unknown>, signal: AbortSignal): Promise<RunOutcome | null> {
    this.#attempts++;
    this.#lastReason = reason;
    if (this.#attempts >= this.#o.maxAttempts) return this.#degrade(reason, detail);
    const delay = backoffDelay(this.#attempts, this.#o.backoff, this.#o.random);
    this.#state = "backoff";
    this.#nextRestartAt = this.#o.clock.now() + delay;
    this.#log("info", { reason, attempts: this.#attempts, delay_ms: delay }, "restart scheduled");
    try {
      await this.#o.clock.sleep(delay, signal);
    } catch (_e) {
      if (signal.aborted) return this.#stop();
    }
    return null;
  }

  #degrade(reason: DegradedReason, detail: Record<string, unknown>): RunOutcome {
    this.#state = "degraded";
    this.#lastReason = reason;
    this.#nextRestartAt = null;
    this.#readySince = null;
    const attempts = this.#attempts;
    this.#log("error", { reason, attempts }, "supervisor degraded");
    this.#callHook("onDegraded", () => this.#o.hooks.onDegraded?.(reason, attempts, detail));
    return "degraded";
  }

  async #stop(): Promise<RunOutcome> {
    this.#nextRestartAt = null;
    this.#readySince = null;
    await this.#shutdownChild();
    this.#state = "stopped";
    return "stopped";
  }

  async #shutdownChild(): Promise<void> {
    try {
      await this.#spawner.shutdown(this.#o.shutdownGraceMs);
    } catch (e) {
      this.#log("warn", { err: messageOf(e) }, "spawner.shutdown threw");
    }
  }

  /** Calls a hook; neither a throw nor a rejected promise reaches the loop. */
  #callHook(name: string, call: () => unknown): void {
    try {
      const r = call();
      if (r && typeof (r as PromiseLike<unknown>).then === "function") {
        Promise.resolve(r).catch((e: unknown) => this.#hookFailed(name, e));
      }
    } catch (e) {
      this.#hookFailed(name, e);
    }
  }

  #hookFailed(name: string, e: unknown): void {
    this.#log("warn", { hook: name, err: messageOf(e) }, "supervisor hook failed");
  }

  #log(level: keyof Logger, obj: object, msg: string): void {
    try {
      this.#o.logger?.[level](obj, msg);
    } catch (_e) {
      // a broken logger must not stop supervision
    }
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn` and captures its result or error (sync throws included). */
async function settle<T>(fn: () => Promise<T> | T): Promise<Settled<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Resolves with `p`'s value, or {@link ABORTED} as soon as `signal` aborts (listener removed either way). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve(ABORTED);
      },
    );
  });
}

function spawnReason(err: unknown): DegradedReason {
  const reason = (err as { reason?: unknown } | null)?.reason;
  return typeof reason === "string" && SPAWN_REASONS.has(reason) ? (reason as DegradedReason) : "exec_error";
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new SupervisorError("SUPERVISOR_INVALID_OPTIONS", `${name} must be an integer >= ${min}, got ${String(v)}`);
  }
}

function checkNum(name: string, v: number, min: number, max = Number.POSITIVE_INFINITY): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new SupervisorError(
      "SUPERVISOR_INVALID_OPTIONS",
      `${name} must be a number in [${min}, ${max === Number.POSITIVE_INFINITY ? "∞" : max}], got ${String(v)}`,
    );
  }
}
