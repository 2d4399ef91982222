import type { RecallConfig } from "@recall/config";
import { strOption } from "../args";
import { cacheKey, cachePath, fileSignature, readCachedConfig, writeCachedConfig, type QueryConfig } from "../config-cache";
import { CliError, EXIT, type ExitCode } from "../errors";
import { intentFromArgs, type CliQueryIntent } from "../query-intent";
import type { CommandContext } from "../registry";
import { renderResults } from "../render-results";
import { postQuery, type QueryCallResult } from "../sidecar-http";

// This module is on the hot path of `recall query`: it imports node built-ins
// and small local modules only. @recall/config (zod, yaml) is loaded on a
// config-cache miss, @recall/service only for --spawn.

type Failure = Exclude<QueryCallResult, { class: "ok" }>;

const START_HINT = "start memory with `recalld` (or `npm start` in the recall checkout), or add --spawn for a one-shot sidecar";

function pick(c: RecallConfig): QueryConfig {
  const m = c.memory;
  return {
    provider: m.provider,
    socket_path: m.socket_path,
    client_request_timeout_ms: m.client_request_timeout_ms,
    sidecar_ready_timeout_ms: m.sidecar_ready_timeout_ms,
  };
}

/**
 * The query's config values: from the CLI's config cache when every input
 * of `loadConfig` is unchanged, else from a full load (a bad config throws
 * its ConfigError, exit 2) which refreshes the cache.
 */
async function queryConfig(ctx: CommandContext): Promise<QueryConfig> {
  const file = strOption(ctx.args.values, "config");
  const path = ctx.env.RECALL_CLI_NO_CACHE === "1" ? null : cachePath(ctx.env);
  const key = cacheKey({ version: ctx.version, cwd: ctx.cwd, file, env: ctx.env });
  if (path !== null) {
    const hit = readCachedConfig(path, key);
    if (hit) return hit;
  }
  const { resolveConfigPath } = await import("@recall/config");
  const { loadCliConfig } = await import("../config-loader");
  const where = resolveConfigPath({ ...(file === undefined ? {} : { file }), env: ctx.env, cwd: ctx.cwd }).path;
  const sig = fileSignature(where);
  const values = pick(loadCliConfig(ctx));
  if (path !== null) await writeCachedConfig(path, key, where, sig, values);
  return values;
}

/** Starts a one-shot sidecar through the service (spawn mode), queries it, shuts it down. */
async function spawnQuery(ctx: CommandContext, intent: CliQueryIntent): Promise<QueryCallResult> {
  const { loadCliConfig } = await import("../config-loader");
  const config = loadCliConfig(ctx);
  const { Service, serviceOptionsFromConfig } = await import("@recall/service");
  const options = { ...serviceOptionsFromConfig(config, { mode: "spawn" }), restartMax: 1 };
  let settle: () => void = () => {};
  const settled = new Promise<void>((r) => (settle = r));
  const service = new Service(options, { hooks: { onStatus: (snap) => void (snap.status !== "initializing" && settle()) } });
  const onAbort = () => settle();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await service.start();
    if (service.status === "initializing") {
      const ceiling = setTimeout(settle, config.memory.sidecar_ready_timeout_ms + 1000);
      await settled;
      clearTimeout(ceiling);
    }
    const snap = service.snapshot();
    if (service.status !== "ready") {
      const reason = snap.reason ?? (snap.bundle.bundle_id === null ? "no_bundle" : "not_ready");
      return { class: "unavailable", error: { code: reason, message: `the one-shot sidecar is not ready (${snap.status}: ${reason})` } };
    }
    const r = await service.query(intent as Parameters<typeof service.query>[0], { signal: ctx.signal });
    if (r.class === "ok" && r.envelope) return { class: "ok", envelope: r.envelope };
    return { class: r.class === "ok" ? "internal" : r.class, error: r.error ?? { code: r.class, message: r.class } };
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    await service.stop();
  }
}

function failure(r: Failure, qc: QueryConfig, spawned: boolean): CliError {
  const sock = qc.socket_path;
  const json = { class: r.class };
  const fail = (exitCode: ExitCode, message: string, hint?: string) =>
    new CliError(r.error.code.toUpperCase(), message, { exitCode, json, ...(hint ? { hint } : {}) });
  const install = qc.provider === "cloud" ? "run `recall pull`" : "install one with `recall bundle install DIR`";
  switch (r.class) {
    case "unavailable":
      if (r.error.code === "no_bundle") return fail(EXIT.unavailable, "memory is running but has no bundle installed", install);
      if (spawned) return fail(EXIT.unavailable, `memory unavailable: ${r.error.message}`, r.error.code === "binary_missing" ? "set memory.tlm_path or install tlm; see `recall doctor`" : `see \`recall doctor\`; ${install}`);
      return fail(EXIT.unavailable, `memory is not running (nothing answers on ${sock})`, START_HINT);
    case "timeout":
      return fail(EXIT.unavailable, `memory did not answer within ${qc.client_request_timeout_ms} ms (${sock})`, "check `recall status`; raise memory.client_request_timeout if the machine is busy");
    case "incompatible":
      return fail(EXIT.unavailable, `the installed bundle cannot be served: ${r.error.message}`, qc.provider === "cloud" ? "run `recall pull` for a fresh bundle, or upgrade tlm" : "install a bundle built for this tlm (`recall bundle install DIR`), or upgrade tlm");
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
  const t0 = process.hrtime.bigint();
  const intent = intentFromArgs(ctx.args);
  const qc = await queryConfig(ctx);
  if (qc.provider === "disabled") {
    throw new CliError("DISABLED", "memory is disabled (memory.provider: disabled)", { exitCode: EXIT.unavailable, hint: "set memory.provider to local or cloud", json: { class: "unavailable" } });
  }
  // No abort signal here: Ctrl-C during a ≤ client_request_timeout call just ends the process.
  let r = await postQuery(qc.socket_path, intent, { timeoutMs: qc.client_request_timeout_ms });
  let spawned = false;
  if (r.class === "unavailable" && ctx.args.values.spawn === true && r.error.code !== "no_bundle") {
    spawned = true;
    r = await spawnQuery(ctx, intent);
  }
  if (r.class !== "ok") throw failure(r, qc, spawned);
  if (ctx.out.json) {
    ctx.out.printJson(r.envelope);
    return EXIT.ok;
  }
  for (const l of renderResults(r.envelope, ctx.out, { query: intent.text, elapsedMs: Number(process.hrtime.bigint() - t0) / 1e6 })) ctx.out.line(l);
  return EXIT.ok;
}
