import { SidecarClient } from "@recall/client";
import { loadCliConfig } from "../config-loader";
import { CliError, EXIT, type ExitCode } from "../errors";
import type { RecallConfig } from "@recall/config";
import { intentFromArgs, type CliQueryIntent } from "../query-intent";
import type { CommandContext } from "../registry";
import { renderResults, type EnvelopeLike } from "../render-results";

type QueryResult =
  | { class: "ok"; envelope: EnvelopeLike }
  | { class: string; error: { code: string; message: string; issues?: unknown[] } };

const START_HINT = "start memory with `recalld` (or `npm start` in the recall checkout), or add --spawn for a one-shot sidecar";

async function attachQuery(config: RecallConfig, intent: CliQueryIntent, signal: AbortSignal): Promise<QueryResult> {
  const client = new SidecarClient({ socketPath: config.memory.socket_path, requestTimeoutMs: config.memory.client_request_timeout_ms });
  try {
    const r = await client.query(intent as Parameters<SidecarClient["query"]>[0], { signal });
    return r.class === "ok" ? { class: "ok", envelope: r.value } : { class: r.class, error: r.error };
  } finally {
    await client.close();
  }
}

/** Starts a one-shot sidecar through the service (spawn mode), queries it, shuts it down. */
async function spawnQuery(config: RecallConfig, intent: CliQueryIntent, signal: AbortSignal): Promise<QueryResult> {
  const { Service, serviceOptionsFromConfig } = await import("@recall/service");
  const options = { ...serviceOptionsFromConfig(config, { mode: "spawn" }), restartMax: 1 };
  let settle: () => void = () => {};
  const settled = new Promise<void>((r) => (settle = r));
  const service = new Service(options, {
    hooks: {
      onStatus: (snap) => {
        if (snap.status !== "initializing") settle();
      },
    },
  });
  const onAbort = () => settle();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await service.start();
    if (service.status === "initializing") {
      const ceiling = setTimeout(settle, config.memory.sidecar_ready_timeout_ms + 1000);
      await settled;
      clearTimeout(ceiling);
    }
    const snap = service.snapshot();
    if (service.status !== "ready") {
      const why = snap.reason ? `${snap.status}: ${snap.reason}` : snap.status;
      return { class: "unavailable", error: { code: snap.reason ?? "not_ready", message: `the one-shot sidecar did not become ready (${why})` } };
    }
    const r = await service.query(intent as Parameters<typeof service.query>[0], { signal });
    if (r.class === "ok" && r.envelope) return { class: "ok", envelope: r.envelope };
    return { class: r.class, error: r.error ?? { code: r.class, message: r.class } };
  } finally {
    signal.removeEventListener("abort", onAbort);
    await service.stop();
  }
}

function failure(r: Exclude<QueryResult, { class: "ok" }>, config: RecallConfig, spawned: boolean): CliError {
  const sock = config.memory.socket_path;
  const json = { class: r.class };
  const fail = (exitCode: ExitCode, message: string, hint?: string) =>
    new CliError(r.error.code.toUpperCase(), message, { exitCode, json, ...(hint ? { hint } : {}) });
  switch (r.class) {
    case "unavailable":
      if (r.error.code === "no_bundle") {
        return fail(EXIT.unavailable, "memory is running but has no bundle installed", config.memory.provider === "cloud" ? "run `recall pull`" : "install one with `recall bundle install DIR`");
      }
      if (spawned) {
        return fail(EXIT.unavailable, `memory unavailable: ${r.error.message}`, "see `recall doctor` for what is missing (binary, bundle, socket directory)");
      }
      return fail(EXIT.unavailable, `memory is not running (nothing answers on ${sock})`, START_HINT);
    case "timeout":
      return fail(EXIT.unavailable, `memory did not answer within ${config.memory.client_request_timeout_ms} ms (${sock})`, "check `recall status`; raise memory.client_request_timeout if the machine is busy");
    case "incompatible":
      return fail(EXIT.unavailable, `the installed bundle cannot be served: ${r.error.message}`, config.memory.provider === "cloud" ? "run `recall pull` for a fresh bundle, or upgrade tlm" : "install a bundle built for this tlm (`recall bundle install DIR`), or upgrade tlm");
    case "busy":
      return fail(EXIT.unavailable, `memory is busy: ${r.error.message}`, "try again in a moment");
    case "bad_request":
      return fail(EXIT.usage, `the sidecar rejected the query: ${r.error.message}`, "see `recall query --help`");
    default:
      return fail(EXIT.error, `memory failed: ${r.error.message}`, "see `recall status` and the daemon's log");
  }
}

/** `recall query TEXT [--kind K]… [--entity E]… [--since D] [--until D] [--limit N] [--spawn]` */
export async function run(ctx: CommandContext): Promise<number> {
  const t0 = performance.now();
  const intent = intentFromArgs(ctx.args);
  const config = loadCliConfig(ctx);
  if (config.memory.provider === "disabled") {
    throw new CliError("DISABLED", "memory is disabled (memory.provider: disabled)", { exitCode: EXIT.unavailable, hint: "set memory.provider to local or cloud", json: { class: "unavailable" } });
  }
  let r = await attachQuery(config, intent, ctx.signal);
  let spawned = false;
  if (r.class === "unavailable" && ctx.args.values.spawn === true && "error" in r && r.error.code !== "no_bundle") {
    spawned = true;
    r = await spawnQuery(config, intent, ctx.signal);
  }
  if (r.class !== "ok" || !("envelope" in r)) throw failure(r as Exclude<QueryResult, { class: "ok" }>, config, spawned);
  if (ctx.out.json) {
    ctx.out.printJson(r.envelope);
    return EXIT.ok;
  }
  for (const l of renderResults(r.envelope, ctx.out, { query: intent.text, elapsedMs: performance.now() - t0 })) ctx.out.line(l);
  return EXIT.ok;
}
