import { SidecarClient } from "@recall/client";
import type { AuditSink, Clock, Logger } from "./types";

/** Result of asking the sidecar to reload. */
export type ReloadOutcome = "reloaded" | "no_sidecar" | "failed";

/**
 * `POST /bundle/reload` on the sidecar socket (docs/bundle-root.md): retries once after
 * 1 s (through the clock) on `busy` (409). A sidecar that is not running is
 * not a failure (it reads `current` when it starts); any other failure is
 * audited `memory_reload_failed` — the sidecar's own poll of `current`
 * catches up. Never throws.
 */
export async function reloadSidecar(
  socketPath: string,
  deps: { clock: Clock; audit: AuditSink; logger: Logger; signal?: AbortSignal; timeoutMs?: number },
): Promise<ReloadOutcome> {
  let client: SidecarClient | null = null;
  try {
    client = new SidecarClient({ socketPath, requestTimeoutMs: deps.timeoutMs ?? 5000 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const r = await client.reload(deps.signal ? { signal: deps.signal } : {});
      if (r.class === "ok") {
        deps.logger.info({ bundle_id: r.value.bundle_id, changed: r.value.changed }, "sidecar reloaded");
        return "reloaded";
      }
      if (r.class === "unavailable" && attempt === 1) {
        deps.logger.info({ class: r.class }, "no sidecar to reload");
        return "no_sidecar";
      }
      if (r.class === "busy" && attempt === 1) {
        try {
          await deps.clock.sleep(1000, deps.signal);
        } catch {
          break;
        }
        continue;
      }
      deps.audit.log("memory_reload_failed", { reason: "sidecar_reload", class: r.class, code: r.error.code, status: r.error.status ?? null });
      deps.logger.warn({ class: r.class, code: r.error.code }, "sidecar reload failed");
      return "failed";
    }
    deps.audit.log("memory_reload_failed", { reason: "sidecar_reload", class: "aborted", code: "aborted", status: null });
    return "failed";
  } catch (err) {
    deps.audit.log("memory_reload_failed", { reason: "sidecar_reload", class: "internal", code: (err as { code?: string })?.code ?? "error", status: null });
    return "failed";
  } finally {
    await client?.close().catch(() => {});
  }
}
