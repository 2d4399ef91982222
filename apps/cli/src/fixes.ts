/**
 * The fix for a status reason (supervisor reasons and start gates, docs/status.md):
 * what is wrong in words, and the command or setting that fixes it.
 */
export function fixForReason(reason: string | null | undefined, ctx: { provider: string; socketPath: string }): string | undefined {
  switch (reason) {
    case null:
    case undefined:
      return undefined;
    case "binary_missing":
      return "no tlm binary found: set memory.tlm_path to it, or put `tlm` on PATH (it ships with @recall/tlm)";
    case "exec_error":
      return "the sidecar binary could not be executed: check memory.tlm_path points at an executable file";
    case "cloud_misconfigured":
      return "cloud mode needs memory.endpoint and memory.api_key (or RECALL_MEMORY_API_KEY); or set memory.provider: local";
    case "repeated_crash":
      return "the sidecar keeps crashing: read the daemon log, run `recall doctor`, then restart recalld";
    case "startup_timeout":
      return "the sidecar did not get ready in time: raise memory.sidecar_ready_timeout, or check the binary and bundle";
    case "health_failed":
      return "the sidecar stopped answering /health: read the daemon log, then restart recalld";
    case "binary_too_old":
      return "the installed bundle needs a newer sidecar: upgrade tlm (or memory.tlm_path), or install an older-schema bundle";
    case "socket_in_use":
      return `another sidecar already listens on ${ctx.socketPath}: stop it, run recalld --attach, or change memory.socket_path`;
    case "no_bundle":
    case "no_manifest":
      return ctx.provider === "cloud" ? "no bundle installed yet: run `recall pull`" : "no bundle installed yet: run `recall bundle install DIR`";
    case "provider_disabled":
    case "disabled":
      return "memory is disabled: set memory.provider to local or cloud";
    default:
      return "see `recall doctor` and the daemon log";
  }
}

/** How to start memory, for "not running" messages. */
export const START_COMMANDS = "`recalld` (foreground daemon), `npm start` in the recall checkout, or `recall query --spawn …` for a one-shot";
