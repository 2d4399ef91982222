import { CONFIG_KEYS, formatDuration, formatSize, redact } from "@recall/config";
import { strOption } from "../args";
import { loadCliConfigWithSources } from "../config-loader";
import { EXIT } from "../errors";
import { table } from "../output";
import type { CommandContext } from "../registry";

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
  const { config, sources } = loadCliConfigWithSources(ctx);
  const red = redact(config);
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
