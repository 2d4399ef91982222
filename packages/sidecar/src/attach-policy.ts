import { probeHealth, type ErrorClass, type Health } from "@recall/client";

/** Ceiling of the single probe {@link attachPolicy} makes. */
export const ATTACH_PROBE_TIMEOUT_MS = 1000;

/** Outcome of {@link attachPolicy}. */
export type AttachResult =
  | { ok: true; health: Health }
  | { ok: false; class: Exclude<ErrorClass, "ok">; error: { code: string; message: string; status?: number; sub_code?: string } };

/**
 * Attach mode (docs/protocol.md): one `GET /health` probe of an already running
 * sidecar with a 1 s ceiling. Never spawns, never throws; a missing or
 * refusing socket is `{ok: false, class: "unavailable"}`. `ok` means the
 * sidecar answered — check `health.ready` for readiness.
 */
export async function attachPolicy(socketPath: string, timeoutMs: number = ATTACH_PROBE_TIMEOUT_MS): Promise<AttachResult> {
  try {
    const r = await probeHealth(socketPath, timeoutMs);
    if (r.class === "ok") return { ok: true, health: r.value };
    return { ok: false, class: r.class, error: r.error };
  } catch (e) {
    return { ok: false, class: "internal", error: { code: "probe_failed", message: e instanceof Error ? e.message : String(e) } };
  }
}
