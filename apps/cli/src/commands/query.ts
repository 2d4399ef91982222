import type { RecallConfig } from "@recall/config";
import { strOption } from "../args";
import { queryOnce } from "@recall/client/lite";
import { cacheKey, cachePath, readCachedConfig, witnesses, writeCachedConfig, type QueryConfig } from "../config-cache";
import { CliError, EXIT } from "../errors";
import { intentFromArgs, type CliQueryIntent } from "../query-intent";
import type { CommandContext } from "../command-context";
import { renderResults } from "../render-results";
import { queryFailure, type QueryCallResult } from "../query-outcome";

// `recall query` when the fast path (fast-query.ts) declined: a config-cache
// miss, --spawn, or a usage error. @recall/config (zod, yaml) is loaded on a
// cache miss, @recall/service only for --spawn.

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
  const where = resolveConfigPath({ ...(file === undefined ? {} : { file }), env: ctx.env, cwd: ctx.cwd });
  const files = witnesses([...new Set([...where.probed, where.path])]);
  const values = pick(loadCliConfig(ctx));
  if (path !== null) await writeCachedConfig(path, key, files, values);
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
    if (r.class === "ok" && r.envelope) return { class: "ok", value: r.envelope, status: 200 };
    return { class: r.class === "ok" ? "internal" : r.class, error: r.error ?? { code: r.class, message: r.class } };
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    await service.stop();
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
  let r: QueryCallResult = await queryOnce(qc.socket_path, intent, { timeoutMs: qc.client_request_timeout_ms });
  let spawned = false;
  if (r.class === "unavailable" && ctx.args.values.spawn === true && r.error.code !== "no_bundle") {
    spawned = true;
    r = await spawnQuery(ctx, intent);
  }
  if (r.class !== "ok") throw queryFailure(r, qc, spawned);
  if (ctx.out.json) {
    ctx.out.printJson(r.value);
    return EXIT.ok;
  }
  for (const l of renderResults(r.value, ctx.out, { query: intent.text, elapsedMs: Number(process.hrtime.bigint() - t0) / 1e6 })) ctx.out.line(l);
  return EXIT.ok;
}
