import { SidecarClient } from "@recall/client";
import {
  Puller,
  hasValidCurrent,
  recoverBundleRoot,
  readBundleState,
  type PullOutcome,
  type PullerOptions,
  type TickOptions,
} from "@recall/puller";
import { Sidecar, resolveBinary } from "@recall/sidecar";
import { Supervisor } from "@recall/supervisor";
import type { ServiceParts } from "./parts";
import type { Clock } from "./types";
import { ServiceCore } from "./service-core";
import type { ServiceDeps, ServiceOptions } from "./types";

type TickObserver = (outcome: PullOutcome, m: { durationMs: number; bytes: number }) => void;

/**
 * A `Puller` that reports every tick it runs (scheduled, `pullNow`, direct)
 * with its wall time and downloaded bytes, for the daemon's pull metrics.
 */
class ObservedPuller extends Puller {
  readonly #onTick: TickObserver;
  readonly #clock: Clock;

  constructor(options: PullerOptions & { clock: Clock }, onTick: TickObserver) {
    super(options);
    this.#onTick = onTick;
    this.#clock = options.clock;
  }

  override async tick(opts: TickOptions = {}): Promise<PullOutcome> {
    const t0 = this.#clock.now();
    let bytes = 0;
    const outcome = await super.tick({
      ...opts,
      onProgress: (p) => {
        if (p.phase === "download") bytes = p.bytes;
        opts.onProgress?.(p);
      },
    });
    this.#onTick(outcome, { durationMs: this.#clock.now() - t0, bytes });
    return outcome;
  }
}

const parts: ServiceParts = {
  resolveBinary: (tlmPath: string) => {
    const r = resolveBinary(tlmPath === "" ? undefined : tlmPath);
    return r.ok ? { ok: true as const, path: r.path } : { ok: false as const, error: r.error };
  },
  createSidecar: (o) => {
    const sidecar = new Sidecar({
      socketPath: o.socketPath,
      bundleRoot: o.bundleRoot,
      binary: o.binary,
      logger: o.logger,
      ...(o.extraArgs ? { extraArgs: o.extraArgs } : {}),
      ...(o.env ? { env: o.env } : {}),
      ...(o.pollIntervalMs !== undefined ? { pollInterval: o.pollIntervalMs } : {}),
    });
    return sidecar;
  },
  createSupervisor: (spawner, o) => new Supervisor(spawner, o),
  createClient: (o) => new SidecarClient({ socketPath: o.socketPath, requestTimeoutMs: o.requestTimeoutMs }),
  createPuller: ({ onTick, ...o }) => new ObservedPuller(o, onTick),
  hasValidCurrent: (bundleRoot) => hasValidCurrent(bundleRoot),
  readBundleState: (bundleRoot) => readBundleState(bundleRoot),
  recoverBundleRoot: (bundleRoot) => recoverBundleRoot(bundleRoot),
};

/** The real packages behind a {@link Service}. */
export const realParts: Readonly<ServiceParts> = Object.freeze(parts);

/**
 * The memory service of docs/status.md: start gates, bootstrap pull, the sidecar
 * under a supervisor (spawn mode) or a probed external sidecar (attach mode),
 * the pull schedule (cloud), a status machine, and `query()` that answers
 * `unavailable` at once when memory is not ready.
 *
 * `new Service(options, deps)` does no I/O and throws only
 * `ServiceOptionsError` (malformed options); `start()` never throws.
 */
export class Service extends ServiceCore {
  constructor(options: ServiceOptions, deps: ServiceDeps = {}) {
    super(options, { ...deps, parts: realParts });
  }
}
