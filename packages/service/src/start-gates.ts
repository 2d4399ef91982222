import type { Provider, ServiceMode, ServiceStatus } from "./types";

/** What the start gates read from the options (a `ServiceOptions` or `ResolvedOptions` fits). */
export interface StartGateOptions {
  /** `""` means `disabled`, as in the seed service. */
  readonly provider: Provider | "";
  readonly mode: ServiceMode;
  readonly tlmPath: string;
  readonly puller: { readonly endpoint: string; readonly apiKey: string };
}

/** Result of looking up the sidecar binary (`resolveBinary`). */
export type BinaryProbe = { ok: true; path: string } | { ok: false };

/** What the gates learnt from the machine. `binary` is read only when {@link needsBinary} says so. */
export interface StartProbes {
  readonly binary: BinaryProbe;
}

/** An audit event a gate emits (docs/audit-events.md); fields are content-free and hold no secret. */
export interface GateAudit {
  event: "memory_tlm_missing" | "memory_cloud_misconfigured";
  fields: Record<string, boolean>;
}

/** The start-gate decision: stop at a gate (with a status, maybe an audit event), or go on. */
export type StartDecision =
  | {
      proceed: false;
      status: Extract<ServiceStatus, "disabled" | "unavailable">;
      reason: "provider_disabled" | "binary_missing" | "cloud_misconfigured";
      detail: Record<string, boolean>;
      audit?: GateAudit;
    }
  | {
      proceed: true;
      status: "initializing";
      reason: null;
      detail: Record<string, never>;
      /** The sidecar binary to spawn (spawn mode); `null` in attach mode. */
      binary: string | null;
      audit?: undefined;
    };

/** Whether {@link decideStart} reads `probes.binary` for these options (spawn mode, provider not disabled). */
export function needsBinary(o: StartGateOptions): boolean {
  return o.provider !== "disabled" && o.provider !== "" && o.mode === "spawn";
}

/**
 * The start gates of docs/status.md, in order, as a pure function:
 * 1. provider `disabled` (or `""`) → `disabled/provider_disabled`, no event;
 * 2. spawn mode without a binary → `unavailable/binary_missing` + `memory_tlm_missing {tlm_path_set}`;
 * 3. cloud without an endpoint or a key → `unavailable/cloud_misconfigured` +
 *    `memory_cloud_misconfigured {endpoint_resolved, api_key_present}`;
 * otherwise `initializing` with the binary to spawn.
 */
export function decideStart(o: StartGateOptions, probes: StartProbes): StartDecision {
  if (o.provider === "disabled" || o.provider === "") {
    return { proceed: false, status: "disabled", reason: "provider_disabled", detail: {} };
  }
  let binary: string | null = null;
  if (o.mode === "spawn") {
    if (!probes.binary.ok) {
      const tlm_path_set = o.tlmPath !== "";
      return {
        proceed: false,
        status: "unavailable",
        reason: "binary_missing",
        detail: { tlm_path_set },
        audit: { event: "memory_tlm_missing", fields: { tlm_path_set } },
      };
    }
    binary = probes.binary.path;
  }
  if (o.provider === "cloud") {
    const endpoint_resolved = o.puller.endpoint !== "";
    const api_key_present = o.puller.apiKey !== "";
    if (!endpoint_resolved || !api_key_present) {
      return {
        proceed: false,
        status: "unavailable",
        reason: "cloud_misconfigured",
        detail: { endpoint_resolved, api_key_present },
        audit: { event: "memory_cloud_misconfigured", fields: { endpoint_resolved, api_key_present } },
      };
    }
  }
  return { proceed: true, status: "initializing", reason: null, detail: {}, binary };
}
