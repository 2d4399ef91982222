import { CONFIG_KEYS, formatDuration, formatSize, redact } from "@recall/config";
import { loadCliConfigWithSources } from "../config-loader";
import { EXIT } from "../errors";
import { safeText, table } from "../output";
import type { CommandContext } from "../command-context";

const VIA = {
  argument: "from --config",
  RECALL_CONFIG: "from $RECALL_CONFIG",
  project: "project-local: the nearest .recall/config.yaml from the working directory up",
  default: "the default location",
} as const;

function show(type: string, v: unknown): string {
  if (type === "duration" && typeof v === "number") return formatDuration(v);
  if (type === "size" && typeof v === "number") return formatSize(v);
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => JSON.stringify(x)).join(", ")}]` : "[]";
  if (typeof v === "string") return v === "" ? '""' : /^[\w./~:@%+-]+$/.test(v) && !/^(true|false|null|\d+)$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}

/** `recall config [--json]` (synchronous work; the command interface is async) */
export function run(ctx: CommandContext): Promise<number> {
  return Promise.resolve(printConfig(ctx));
}

function printConfig(ctx: CommandContext): number {
  const { out } = ctx;
  const { config, sources, location } = loadCliConfigWithSources(ctx);
  const red = redact(config);
  const via = VIA[location.via];
  if (out.json) {
    out.printJson({ config_file: config.configFile, config_file_via: location.via, config_files_probed: location.probed, memory: red.memory, cloud: red.cloud, sources });
    return EXIT.ok;
  }
  const s = out.style;
  const looked = `looked for .recall/config.yaml from ${safeText(ctx.cwd)} upward, then ${safeText(location.path)}`;
  out.line(s.dim(`# config file: ${config.configFile ? `${safeText(config.configFile)} (${via})` : `none: defaults + env (${looked})`}`));
  out.line(s.dim("# secrets are shown as fp:<fingerprint>"));
  for (const section of ["memory", "cloud"] as const) {
    out.line(`${s.bold(section)}:`);
    const rows = CONFIG_KEYS.filter((k) => k.section === section).map((k) => {
      const v: unknown = red[section][k.output];
      const src = sources[k.key] ?? "default";
      return [`  ${k.name}:`, src === "default" ? safeText(show(k.type, v)) : s.cyan(safeText(show(k.type, v))), s.dim(`# ${safeText(src)}`)];
    });
    for (const l of table(rows)) out.line(l);
  }
  return EXIT.ok;
}
