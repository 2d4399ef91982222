import type { Health, QueryIntent, ResponseEnvelope } from "@recall/protocol";
import type {
  BundleStateLike,
  CallResult,
  ClientPart,
  PullerPart,
  ReadyResultLike,
  ServiceParts,
  SidecarPart,
  SupervisorPart,
  SupervisorSettings,
} from "../parts";
import type { AuditSink, Logger, PullOutcome, ServiceOptions } from "../types";

/** A health body with overrides. */
export function health(over: Partial<Health> = {}): Health {
  return {
    protocol: 1,
    ready: true,
    compatibility: "compatible",
    bundle_id: "b1",
    schema_version: "1.0.0",
    supported_schema: "^1.0.0",
    pid: 4242,
    uptime_s: 1,
    ...over,
  };
}

export const envelope: ResponseEnvelope = {
  source: "sidecar",
  bundle_id: "b1",
  took_ms: 0.1,
  truncated: false,
  evidence_quality: "indexed",
  results: [],
};

export const unreachable: CallResult<never> = {
  class: "unavailable",
  error: { code: "socket_missing", message: "no socket" },
};

/** A client whose answers the test sets. Counts calls. */
export class FakeClient implements ClientPart {
  healthAnswer: CallResult<Health> = { class: "ok", value: health(), status: 200 };
  queryAnswer: CallResult<ResponseEnvelope> = { class: "ok", value: envelope, status: 200 };
  calls = { health: 0, query: 0, reload: 0, close: 0 };
  lastQueryTimeout: number | undefined;
  async health(): Promise<CallResult<Health>> {
    this.calls.health++;
    return this.healthAnswer;
  }
  async query(_intent: QueryIntent, opts?: { timeoutMs?: number }): Promise<CallResult<ResponseEnvelope>> {
    this.calls.query++;
    this.lastQueryTimeout = opts?.timeoutMs;
    return this.queryAnswer;
  }
  reloadAnswer: CallResult<{ bundle_id: string | null; changed: boolean }> = { class: "ok", value: { bundle_id: "b2", changed: true }, status: 200 };
  async reload(): Promise<CallResult<{ bundle_id: string | null; changed: boolean }>> {
    this.calls.reload++;
    return this.reloadAnswer;
  }
  async close(): Promise<void> {
    this.calls.close++;
  }
}

/** A supervisor the test drives by calling the captured callbacks. */
export class FakeSupervisor implements SupervisorPart {
  settings: SupervisorSettings;
  signal: AbortSignal | null = null;
  restarts = 0;
  constructor(settings: SupervisorSettings) {
    this.settings = settings;
  }
  runs = 0;
  #end: ((o: "stopped" | "degraded") => void) | null = null;
  run(signal: AbortSignal): Promise<"stopped" | "degraded"> {
    this.signal = signal;
    this.runs++;
    return new Promise((resolve) => {
      this.#end = resolve;
      if (signal.aborted) resolve("stopped");
      signal.addEventListener("abort", () => resolve("stopped"), { once: true });
    });
  }
  /** Ends the current run like the real supervisor does after `onDegraded`. */
  degrade(reason: string, attempts: number, detail: Record<string, unknown>): void {
    this.settings.onDegraded(reason, attempts, detail);
    this.#end?.("degraded");
  }
  snapshot() {
    return { restarts: this.restarts, attempts: 0, state: "ready" };
  }
}

export class FakeSidecar implements SidecarPart {
  pid: number | null = 777;
  shutdowns = 0;
  async spawn(): Promise<void> {}
  async waitReady(): Promise<ReadyResultLike> {
    return { ok: true };
  }
  wait(): Promise<{ code: number | null; signal: string | null }> {
    return new Promise(() => {});
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

export class FakePuller implements PullerPart {
  tickAnswer: PullOutcome = { outcome: "installed", bundle_id: "b1", schema_version: "1.0.0" };
  /** When set, `tick` waits for its signal and then answers this. */
  hangTick = false;
  ticks = 0;
  schedules: { bootstrap: boolean | undefined; signal: AbortSignal }[] = [];
  pullNows = 0;
  onTick: (o: PullOutcome, m: { durationMs: number; bytes: number }) => void = () => {};
  async tick(opts?: { signal?: AbortSignal }): Promise<PullOutcome> {
    this.ticks++;
    if (this.hangTick) {
      await new Promise<void>((resolve) => opts?.signal?.addEventListener("abort", () => resolve(), { once: true }));
      const aborted: PullOutcome = { outcome: "failed", reason: "aborted", message: "aborted" };
      this.onTick(aborted, { durationMs: 1, bytes: 0 });
      return aborted;
    }
    this.onTick(this.tickAnswer, { durationMs: 1, bytes: this.tickAnswer.outcome === "installed" ? 1234 : 0 });
    return this.tickAnswer;
  }
  runSchedule(opts: { signal: AbortSignal; bootstrap?: boolean; onOutcome?(o: PullOutcome): void }): Promise<void> {
    this.schedules.push({ bootstrap: opts.bootstrap, signal: opts.signal });
    return new Promise((resolve) => opts.signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  async pullNow(): Promise<PullOutcome> {
    this.pullNows++;
    return this.tick();
  }
}

/** Every part as a fake, with the instances the service created. */
export function fakeParts(over: Partial<ServiceParts> = {}) {
  const made = {
    client: new FakeClient(),
    sidecar: new FakeSidecar(),
    puller: new FakePuller(),
    supervisor: null as FakeSupervisor | null,
    pullerOptions: null as Record<string, unknown> | null,
    sidecarOptions: null as Record<string, unknown> | null,
    validCurrent: true,
    order: [] as string[],
    bundleState: {
      current: { bundle_id: "b1", schema_version: "1.0.0", installed_at: "2026-11-26T08:00:00.000Z" },
      state: { last_pull: { at: "2026-11-26T08:00:00.000Z", outcome: "installed" } },
    } as BundleStateLike,
    binaryOk: true,
  };
  const parts: ServiceParts = {
    resolveBinary: () =>
      made.binaryOk ? { ok: true, path: "/usr/bin/tlm" } : { ok: false, error: { message: "tlm not found" } },
    createSidecar: (o) => {
      made.order.push("sidecar");
      made.sidecarOptions = { ...o };
      return made.sidecar;
    },
    createSupervisor: (_s, o) => {
      made.order.push("supervisor");
      made.supervisor = new FakeSupervisor(o);
      return made.supervisor;
    },
    createClient: () => made.client,
    createPuller: (o) => {
      made.order.push("puller");
      made.pullerOptions = { ...o };
      made.puller.onTick = o.onTick;
      const tick = made.puller.tick.bind(made.puller);
      made.puller.tick = (opts) => {
        made.order.push("tick");
        return tick(opts);
      };
      return made.puller;
    },
    hasValidCurrent: async () => made.validCurrent,
    readBundleState: async () => made.bundleState,
    recoverBundleRoot: async () => {
      made.order.push("recover");
    },
    ...over,
  };
  return { parts, made };
}

export const API_KEY = "sk-test-5f1e0c9a7b3d4e2f";

/** Options for a local spawn-mode service; tests override what they need. */
export function options(over: Partial<ServiceOptions> = {}): ServiceOptions {
  return {
    provider: "local",
    mode: "spawn",
    socketPath: "/tmp/recall-test/memory.sock",
    bundleRoot: "/tmp/recall-test/bundles",
    tlmPath: "",
    readyTimeoutMs: 10_000,
    shutdownGraceMs: 100,
    restartMax: 5,
    requestTimeoutMs: 2000,
    attachProbeIntervalMs: 10,
    puller: {
      endpoint: "http://127.0.0.1:9/",
      apiKey: API_KEY,
      publicKeys: [],
      schemaRange: "^1.0.0",
      retain: 3,
      maxBytes: 1 << 30,
      maxUnpackedBytes: 1 << 30,
      downloadTimeoutMs: 600_000,
      minBytesPerSec: 10_240,
      allowInsecureHttp: false,
      startupDelayMs: 30_000,
      intervalMs: 86_400_000,
      jitter: 0.1,
    },
    ...over,
  };
}

/** Records every audit event and log line (as JSON) for later assertions. */
export function recorder() {
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  const lines: string[] = [];
  const audit: AuditSink = { log: (event, fields) => events.push({ event, fields: { ...fields } }) };
  const log =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push(JSON.stringify({ level, ...obj, msg }));
    };
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  return { events, lines, audit, logger, names: () => events.map((e) => e.event) };
}

/** One turn of the event loop: every promise the fakes resolved runs before it ends. No wall time is involved. */
const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Lets the service run until `cond` holds, for at most `turns` event-loop turns (then throws
 * with `what`). Unit tests run on a {@link ManualClock}: nothing here waits for wall time, and
 * the service's own sleeps end only when the test advances its clock.
 */
export async function until(cond: () => boolean, what: string, turns = 10_000): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i >= turns) throw new Error(`${what}: not reached within ${turns} event-loop turns`);
    await turn();
  }
}

/**
 * {@link until}, moving `clock` forward by `stepMs` every turn the condition does not hold, so
 * loops that sleep on the injected clock (health probes, timers) make progress.
 */
export async function untilTicking(clock: ManualClock, stepMs: number, cond: () => boolean, what: string, turns = 10_000): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i >= turns) throw new Error(`${what}: not reached within ${turns} event-loop turns`);
    clock.advance(stepMs);
    await turn();
  }
}

/** A clock the test moves: `now()` is `t`; sleepers wake when `advance()` passes their time (or on abort). */
export class ManualClock {
  t: number;
  #sleepers: { until: number; resolve: () => void }[] = [];
  constructor(start = Date.parse("2026-11-26T08:00:00Z")) {
    this.t = start;
  }
  now = (): number => this.t;
  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const s = { until: this.t + ms, resolve };
      this.#sleepers.push(s);
      signal?.addEventListener(
        "abort",
        () => {
          this.#sleepers = this.#sleepers.filter((x) => x !== s);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  /** Moves time forward and wakes every sleeper that is due. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.#sleepers.filter((s) => s.until <= this.t);
    this.#sleepers = this.#sleepers.filter((s) => s.until > this.t);
    for (const s of due) s.resolve();
  }
  /** Sleepers not yet due. */
  get pending(): number {
    return this.#sleepers.length;
  }
}
