import { CONFIG_KEYS, formatDuration, formatSize, loadConfig, redact, type RecallConfig } from "@recall/config";
import { strOption } from "../args";
import { loadCliConfig } from "../config-loader";
import { EXIT } from "../errors";
import { table } from "../output";
import type { CommandContext } from "../registry";

type Section = "memory" | "cloud";

/**
 * Where each key's effective value came from. `@recall/config` does not
 * return sources, so they are inferred: the key's env variable when set,
 * else the config file when the value differs from a load without file and
 * env, else the default.
 */
export function inferSources(config: RecallConfig, ctx: Pick<CommandContext, "env" | "cwd">): Record<string, string> {
  const bareEnv = Object.fromEntries(Object.entries(ctx.env).filter(([k]) => !k.startsWith("RECALL_")));
  const defaults = loadConfig({ file: "/dev/null", env: bareEnv, cwd: ctx.cwd });
  const sources: Record<string, string> = {};
  for (const k of CONFIG_KEYS) {
    const v = (config[k.section as Section] as unknown as Record<string, unknown>)[k.output];
    const d = (defaults[k.section as Section] as unknown as Record<string, unknown>)[k.output];
    const envSet = (ctx.env[k.env] ?? "") !== "";
    let src: string;
    if (envSet) src = `env ${k.env}`;
    else if (JSON.stringify(v) !== JSON.stringify(d)) src = config.configFile ? "file" : "env";
    else src = "default";
    if (k.section === "memory" && (k.name === "endpoint" || k.name === "api_key") && src !== "default" && !envSet) {
      const cloudV = (config.cloud as unknown as Record<string, unknown>)[k.name];
      if (cloudV !== "" && cloudV === v) src = `cloud.${k.name} (fallback)`;
    }
    sources[k.key] = src;
  }
  return sources;
}

function show(type: string, v: unknown): string {
  if (type === "duration" && typeof v === "number") return formatDuration(v);
  if (type === "size" && typeof v === "number") return formatSize(v);
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => JSON.stringify(x)).join(", ")}]` : "[]";
  if (typeof v === "string") return v === "" ? '""' : /^[\w./~:@%+-]+$/.test(v) && !/^(true|false|null|\d+)$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}

/** `recall config [--json]` */
export async function run(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const config = loadCliConfig(ctx);
  const red = redact(config);
  const sources = inferSources(config, ctx);
  if (out.json) {
    out.printJson({ config_file: config.configFile, memory: red.memory, cloud: red.cloud, sources });
    return EXIT.ok;
  }
  const s = out.style;
  out.line(s.dim(`# config file: ${config.configFile ?? `none (defaults + env${strOption(ctx.args.values, "config") ? "" : "; looked at $RECALL_CONFIG and $XDG_CONFIG_HOME/recall/config.yaml"})`}`));
  out.line(s.dim("# secrets are shown as fp:<fingerprint>"));
  for (const section of ["memory", "cloud"] as const) {
    out.line(`${s.bold(section)}:`);
    const rows = CONFIG_KEYS.filter((k) => k.section === section).map((k) => {
      const v = (red[section] as Record<string, unknown>)[k.output];
      const src = sources[k.key]!;
      return [`  ${k.name}:`, src === "default" ? show(k.type, v) : s.cyan(show(k.type, v)), s.dim(`# ${src}`)];
    });
    for (const l of table(rows)) out.line(l);
  }
  return EXIT.ok;
}
