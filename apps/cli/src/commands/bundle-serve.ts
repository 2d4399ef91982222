import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { intOption, strOption } from "../args";
import { startBundleServer, BUNDLE_API_PREFIX } from "../bundle-server";
import { CliError, EXIT, UsageError } from "../errors";
import { safeJson, safeText } from "../output";
import type { CommandContext } from "../command-context";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** `recall bundle serve DIR --port N [--host H] [--api-key-env VAR]` */
export async function run(ctx: CommandContext): Promise<number> {
  const { args, out, env } = ctx;
  const dir = resolve(ctx.cwd, args.positionals[0]!);
  const port = intOption(args.values, "port", 0, 65535);
  if (port === undefined) throw new UsageError("--port is required", "e.g. --port 8787 (0 picks a free port)");
  const host = strOption(args.values, "host") ?? "127.0.0.1";
  const keyVar = strOption(args.values, "api-key-env");
  let apiKey: string | undefined;
  if (keyVar !== undefined) {
    apiKey = env[keyVar];
    if (!apiKey) throw new UsageError(`--api-key-env ${keyVar}: the environment variable ${keyVar} is not set or empty`, `export ${keyVar}=… first`);
  }
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new CliError("NOT_A_DIRECTORY", `${dir} is not a directory`, { exitCode: EXIT.usage, hint: "create it, or publish into it with `recall bundle pack … --out DIR`" });

  const s = out.style;
  let server;
  try {
    server = await startBundleServer({
      dir,
      host,
      port,
      ...(apiKey ? { apiKey } : {}),
      onRequest: (e) => {
        if (out.json) out.line(safeJson({ event: "request", ...e }));
        else {
          const colour = e.status >= 500 ? s.red : e.status >= 400 ? s.yellow : e.status === 304 ? s.cyan : s.green;
          out.line(`${s.dim(e.at)} ${safeText(e.remote)} ${safeText(e.method)} ${safeText(e.path)} ${colour(String(e.status))} ${e.bytes} ${s.dim(`${e.ms}ms`)}`);
        }
      },
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError("LISTEN_FAILED", `cannot listen on ${host}:${port}: ${code ?? (e as Error).message}`, {
      hint: code === "EADDRINUSE" ? "pick another --port (0 picks a free one)" : "check --host and --port",
      cause: e,
    });
  }
  const manifestUrl = `${server.url}${BUNDLE_API_PREFIX}manifest`;
  if (out.json) {
    out.line(safeJson({ event: "listening", url: server.url, manifest_url: manifestUrl, host: server.host, port: server.port, dir, api_key_required: Boolean(apiKey) }));
  } else {
    out.line(`${s.bold("serving")} ${safeText(dir)}`);
    out.line(`  endpoint  ${s.cyan(server.url)}   ${s.dim("(set memory.endpoint to this)")}`);
    out.line(`  manifest  ${manifestUrl}`);
    out.line(`  api key   ${apiKey ? `required (X-API-Key = $${keyVar})` : "not required"}`);
    if (!LOOPBACK.has(host)) out.err(`${out.errStyle.yellow("warning:")} plain http on ${host}: clients need memory.allow_insecure_http, and keys travel unencrypted`);
    out.line(s.dim("Ctrl-C to stop"));
  }
  await new Promise<void>((resolveStop) => {
    if (ctx.signal.aborted) resolveStop();
    ctx.signal.addEventListener("abort", () => resolveStop(), { once: true });
  });
  await server.close(3000);
  if (out.json) out.line(JSON.stringify({ event: "stopped" }));
  else out.line("stopped");
  return EXIT.ok;
}
