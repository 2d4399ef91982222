import { controlSocketPath, type RecallConfig } from "@recall/config";
import { Puller } from "@recall/puller";
import { serviceOptionsFromConfig } from "@recall/service";
import { loadCliConfig } from "../config-loader";
import { controlRequest } from "../control-client";
import { CliError, EXIT, type ExitCode } from "../errors";
import { hintFor } from "../explain";
import { formatBytes, safeText } from "../output";
import { ProgressBar } from "../progress";
import type { CommandContext } from "../command-context";
import { marks } from "../symbols";

/** Any outcome `recall pull` can see: a pull outcome, or the daemon's local-mode ones. */
type Outcome =
  | { outcome: "installed"; bundle_id: string; schema_version: string }
  | { outcome: "unchanged" }
  | { outcome: "none" }
  | { outcome: "busy" }
  | { outcome: "rejected"; reason: string; path?: string }
  | { outcome: "failed"; reason: string; message: string }
  | { outcome: "reloaded"; bundle_id: string | null; changed: boolean }
  | { outcome: "disabled"; reason: string };

/**
 * Exit code of an outcome: 0 installed, unchanged, none (nothing published),
 * reloaded; 1 failed or rejected; 3 busy (another pull holds the lock — try
 * again) or disabled (no pulls possible).
 */
export function exitFor(o: Outcome): ExitCode {
  switch (o.outcome) {
    case "installed":
    case "unchanged":
    case "none":
    case "reloaded":
      return EXIT.ok;
    case "busy":
    case "disabled":
      return EXIT.unavailable;
    default:
      return EXIT.error;
  }
}

async function pullInProcess(config: RecallConfig, ctx: CommandContext, bar: ProgressBar): Promise<{ outcome: Outcome; bytes: number }> {
  // The same config → puller mapping the daemon uses: one place (the service) owns it.
  const puller = new Puller({ ...serviceOptionsFromConfig(config).puller, bundleRoot: config.memory.bundle_root });
  let bytes = 0;
  const outcome = await puller.tick({
    signal: ctx.signal,
    onProgress: (p) => {
      if (p.phase === "download") bytes = p.bytes;
      bar.update(p);
    },
  });
  return { outcome, bytes };
}

/** `recall pull [--json]` */
export async function run(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const config = loadCliConfig(ctx);
  const mem = config.memory;
  if (mem.provider === "disabled") {
    throw new CliError("DISABLED", "memory is disabled (memory.provider: disabled): nothing to pull", { exitCode: EXIT.unavailable, hint: "set memory.provider: cloud and memory.endpoint / memory.api_key" });
  }
  const bar = new ProgressBar(out);
  const t0 = performance.now();
  let via: "daemon" | "cli";
  let outcome: Outcome;
  let bytes = 0;

  // A running daemon owns the bundle root and the schedule: let it pull.
  const control = controlSocketPath(config);
  bar.update({ phase: "manifest", bytes: 0, total: 0 });
  const d = await controlRequest(control, "POST", "/pull", { timeoutMs: mem.bundle_download_timeout_ms + 120_000, signal: ctx.signal });
  if (d.ok) {
    bar.done();
    const body = d.body as { outcome?: Outcome; error?: { message?: string } };
    if (d.status !== 200 || typeof body?.outcome?.outcome !== "string") {
      throw new CliError("DAEMON_ERROR", `recalld answered ${d.status} to POST /pull: ${body?.error?.message ?? "unexpected body"}`, { hint: "see the daemon log" });
    }
    via = "daemon";
    outcome = body.outcome;
  } else if (d.reason === "timeout") {
    bar.done();
    throw new CliError("DAEMON_TIMEOUT", `recalld did not finish the pull in time (${control})`, { hint: "see `recall status` and the daemon log" });
  } else if (mem.provider === "local") {
    bar.done();
    throw new CliError("LOCAL_MODE", "local mode does not pull: bundles are installed by hand", {
      exitCode: EXIT.usage,
      hint: "run `recall bundle install DIR` with a publish directory, or set memory.provider: cloud to pull from an endpoint",
    });
  } else {
    if (!mem.endpoint || !mem.api_key) {
      bar.done();
      throw new CliError("CLOUD_MISCONFIGURED", `cloud mode needs ${!mem.endpoint ? "memory.endpoint" : "memory.api_key"}`, {
        exitCode: EXIT.usage,
        hint: "set memory.endpoint and memory.api_key (or RECALL_MEMORY_API_KEY); see `recall doctor`",
      });
    }
    via = "cli";
    try {
      ({ outcome, bytes } = await pullInProcess(config, ctx, bar));
    } finally {
      bar.done();
    }
  }
  const ms = performance.now() - t0;
  const exit = exitFor(outcome);
  if (out.json) {
    out.printJson({ via, ...outcome, duration_ms: Math.round(ms), bytes });
    return exit;
  }
  const s = out.style;
  const mk = marks(s, ctx.env);
  const how = s.dim(via === "daemon" ? "(via recalld)" : `(in-process, ${(ms / 1000).toFixed(1)}s${bytes ? `, ${formatBytes(bytes)}` : ""})`);
  switch (outcome.outcome) {
    case "installed":
      out.line(`${mk.ok} installed ${s.bold(safeText(outcome.bundle_id))} ${s.dim(`(schema ${safeText(outcome.schema_version)})`)} ${how}`);
      break;
    case "unchanged":
      out.line(`${mk.ok} up to date: the published bundle is already installed ${how}`);
      break;
    case "none":
      out.line(`${mk.ok} nothing published yet at the endpoint ${how}`);
      break;
    case "reloaded":
      out.line(`${mk.ok} sidecar re-read the installed bundle: ${safeText(outcome.bundle_id ?? "none")}${outcome.changed ? " (changed)" : " (unchanged)"} ${how}`);
      break;
    case "busy":
      throw new CliError("BUSY", "another pull holds the bundle lock", { exitCode: EXIT.unavailable, hint: "try again in a moment" });
    case "disabled":
      throw new CliError("PULL_DISABLED", `recalld cannot pull now (${outcome.reason})`, { exitCode: EXIT.unavailable, hint: "see `recall status`" });
    case "rejected": {
      const h = hintFor(outcome.reason);
      throw new CliError("BUNDLE_REJECTED", `bundle rejected: ${outcome.reason}${outcome.path ? ` (${outcome.path})` : ""}; the installed bundle is untouched`, h ? { hint: h } : {});
    }
    case "failed": {
      const h = hintFor(outcome.reason);
      throw new CliError("PULL_FAILED", `pull failed (${outcome.reason}): ${outcome.message}`, h ? { hint: h } : {});
    }
  }
  return exit;
}
