import { SidecarClient } from "@recall/client";
import { Puller, hasValidCurrent, readBundleState } from "@recall/puller";
import { Sidecar, resolveBinary } from "@recall/sidecar";
import { Supervisor } from "@recall/supervisor";
import type { ServiceParts } from "./parts";
import { ServiceCore } from "./service-core";
import type { ServiceDeps, ServiceOptions } from "./types";

/** The real packages behind a {@link Service}. */
export const realParts: ServiceParts = Object.freeze({
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
  createPuller: (o) => new Puller(o),
  hasValidCurrent: (bundleRoot) => hasValidCurrent(bundleRoot),
  readBundleState: (bundleRoot) => readBundleState(bundleRoot),
});

/**
 * The memory service of SPEC §5: start gates, bootstrap pull, the sidecar
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
