import { queryOnce } from "@recall/client/lite";
import { parseArgs, strOption, wantsHelp } from "./args";
import { cacheKey, cachePath, readCachedConfig } from "./config-cache";
import { hoistGlobals } from "./hoist";
import { makeOutput, type Output } from "./output";
import { intentFromArgs } from "./query-intent";
import { queryFailure } from "./query-outcome";
import { renderResults } from "./render-results";
import { reportError } from "./report-error";
import { COMMAND_SPECS } from "./specs";

// The fast path of `recall query`, built as one CommonJS file (dist/fast/query.cjs)
// that bin/recall.js require()s: no ESM loader, no zod, no undici, no node:http.
// It handles the common case end to end — a plain query whose config is in
// the CLI's config cache — and declines (null) everything else, which the full
// CLI then runs: --help, --spawn, usage errors (for their did-you-mean), a
// cache miss (the full CLI loads the config and refreshes the cache), a
// disabled provider.

/** What the fast path needs from the process. */
export interface FastQueryIo {
  stdout: Output["stdout"];
  stderr: Output["stderr"];
  env: Record<string, string | undefined>;
  cwd: string;
  version: string;
}

/**
 * Runs `recall query …` when it can: resolves with the exit code, or with
 * null when the full CLI must run the command instead. Never throws.
 */
export async function runFastQuery(rawArgv: readonly string[], io: FastQueryIo): Promise<number | null> {
  const argv = hoistGlobals(rawArgv);
  if (argv[0] !== "query" || wantsHelp(argv)) return null;
  let args;
  let intent;
  try {
    args = parseArgs(argv.slice(1), COMMAND_SPECS.query);
    if (args.values.spawn === true) return null;
    intent = intentFromArgs(args);
  } catch {
    return null;
  }
  if (io.env.RECALL_CLI_NO_CACHE === "1") return null;
  const path = cachePath(io.env);
  if (path === null) return null;
  const qc = readCachedConfig(path, cacheKey({ version: io.version, cwd: io.cwd, file: strOption(args.values, "config"), env: io.env }));
  if (qc === null || qc.provider === "disabled") return null;

  const t0 = process.hrtime.bigint();
  const out = makeOutput({
    stdout: io.stdout,
    get stderr() {
      return io.stderr;
    },
    env: io.env,
    noColor: args.values["no-color"] === true,
    json: args.values.json === true,
  });
  const r = await queryOnce(qc.socket_path, intent, { timeoutMs: qc.client_request_timeout_ms });
  if (r.class !== "ok") return reportError(queryFailure(r, qc, false), out);
  if (out.json) out.printJson(r.value);
  else for (const l of renderResults(r.value, out, { query: intent.text, elapsedMs: Number(process.hrtime.bigint() - t0) / 1e6 })) out.line(l);
  return 0;
}
