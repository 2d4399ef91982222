import type { ClientResult } from "@recall/client/lite";
import type { QueryConfig } from "./config-cache";
import { CliError, EXIT, type ExitCode } from "./errors";
import { safeText } from "./output";
import type { EnvelopeLike } from "./render-results";

/** How a query call ended: `@recall/client`'s result classes and codes (docs/protocol.md). */
export type QueryCallResult = ClientResult<EnvelopeLike>;
/** A failed {@link QueryCallResult}. */
export type QueryFailure = Exclude<QueryCallResult, { class: "ok" }>;

/** The fix shown when nothing answers on the socket. */
export const START_HINT = "start memory with `recalld` (or `npm start` in the recall checkout), or add --spawn for a one-shot sidecar";

/**
 * The CLI error for a failed query: message, fix and exit code per result
 * class (3 for memory unavailable, timeout, incompatible or busy; 2 for a
 * query the sidecar rejected; 1 otherwise). Messages from the sidecar are
 * made safe for a terminal.
 */
export function queryFailure(r: QueryFailure, qc: Pick<QueryConfig, "provider" | "socket_path" | "client_request_timeout_ms">, spawned: boolean): CliError {
  const sock = safeText(qc.socket_path);
  const said = safeText(r.error.message);
  const json = { class: r.class };
  const fail = (exitCode: ExitCode, message: string, hint?: string) =>
    new CliError(r.error.code.toUpperCase(), message, { exitCode, json, ...(hint ? { hint } : {}) });
  const install = qc.provider === "cloud" ? "run `recall pull`" : "install one with `recall bundle install DIR`";
  switch (r.class) {
    case "unavailable":
      if (r.error.code === "no_bundle") return fail(EXIT.unavailable, "memory is running but has no bundle installed", install);
      if (spawned) return fail(EXIT.unavailable, `memory unavailable: ${said}`, r.error.code === "binary_missing" ? "set memory.tlm_path or install tlm; see `recall doctor`" : `see \`recall doctor\`; ${install}`);
      return fail(EXIT.unavailable, `memory is not running (nothing answers on ${sock})`, START_HINT);
    case "timeout":
      return fail(EXIT.unavailable, `memory did not answer within ${qc.client_request_timeout_ms} ms (${sock})`, "check `recall status`; raise memory.client_request_timeout if the machine is busy");
    case "incompatible":
      return fail(EXIT.unavailable, `the installed bundle cannot be served: ${said}`, qc.provider === "cloud" ? "run `recall pull` for a fresh bundle, or upgrade tlm" : "install a bundle built for this tlm (`recall bundle install DIR`), or upgrade tlm");
    case "busy":
      return fail(EXIT.unavailable, `memory is busy: ${said}`, "try again in a moment");
    case "bad_request":
      return fail(EXIT.usage, `the sidecar rejected the query: ${said}`, "see `recall query --help`");
    default:
      return fail(EXIT.error, `memory failed: ${said}`, "see `recall status` and the daemon's log");
  }
}
