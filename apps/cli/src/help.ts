import { GLOBAL_OPTIONS, usageLine, type CommandSpec, type OptionSpec } from "./args";
import { table, type Style } from "./output";
import { COMMANDS, TOP_LEVEL } from "./registry";

const EXIT_LINE = "Exit codes: 0 ok, 1 error, 2 usage or bad config, 3 memory unavailable";

function optionRows(options: Record<string, OptionSpec>, st: Style): string[][] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${name}${o.type === "string" ? ` ${o.placeholder ?? "VALUE"}` : ""}`;
    return [`  ${st.bold(flag)}`, o.description];
  });
}

/** Full help of one command: usage, description, arguments, options, examples, exit codes. */
export function commandHelp(spec: CommandSpec, st: Style): string {
  const out: string[] = [];
  out.push(`${st.bold(`recall ${spec.name}`)} — ${spec.summary}`, "", `Usage: ${usageLine(spec)}`);
  if (spec.description) out.push("", spec.description);
  if (spec.positionals.length) {
    out.push("", st.bold("Arguments:"), ...table(spec.positionals.map((p) => [`  ${p.name}`, p.description])));
  }
  if (Object.keys(spec.options).length) out.push("", st.bold("Options:"), ...table(optionRows(spec.options, st)));
  out.push("", st.bold("Global options:"), ...table(optionRows(GLOBAL_OPTIONS, st)));
  if (spec.examples.length) out.push("", st.bold("Examples:"), ...spec.examples.map((e) => `  ${st.dim("$")} ${e}`));
  out.push("", EXIT_LINE);
  return `${out.join("\n")}\n`;
}

/** `recall bundle --help`: the bundle subcommands. */
export function groupHelp(group: string, st: Style): string {
  const subs = Object.values(COMMANDS).filter((c) => c.spec.name.startsWith(`${group} `));
  const rows = subs.map((c) => [`  ${st.bold(c.spec.name.slice(group.length + 1))}`, c.spec.summary]);
  return [
    `${st.bold(`recall ${group}`)} — build, sign, verify, serve and install memory bundles`,
    "",
    `Usage: recall ${group} <command> [options]`,
    "",
    st.bold("Commands:"),
    ...table(rows),
    "",
    `Run \`recall ${group} <command> --help\` for details.`,
    "",
  ].join("\n");
}

/** `recall --help`: every command with its summary. */
export function mainHelp(st: Style, version: string): string {
  const rows: string[][] = [];
  for (const name of TOP_LEVEL) {
    const c = COMMANDS[name];
    if (c) rows.push([`  ${st.bold(name)}`, c.spec.summary]);
    else rows.push([`  ${st.bold(`${name} <command>`)}`, "keygen | pack | sign | verify | install | serve"]);
  }
  return [
    `${st.bold("recall")} ${version} — query and manage the local memory sidecar`,
    "",
    "Usage: recall <command> [options]",
    "",
    st.bold("Commands:"),
    ...table(rows),
    "",
    st.bold("Global options:"),
    ...table([...optionRows(GLOBAL_OPTIONS, st), [`  ${st.bold("--version")}`, "print the version"]]),
    "",
    "Run `recall <command> --help` for a command's options and examples.",
    EXIT_LINE,
    "",
  ].join("\n");
}
