import { loadConfig, loadConfigWithSources, type ConfigWithSources, type RecallConfig } from "@recall/config";
import { strOption } from "./args";
import type { CommandContext } from "./command-context";

/**
 * Loads the effective config for a command: `--config FILE`, else
 * `$RECALL_CONFIG`, else the XDG default; env and defaults as in docs/config.md.
 * Throws the `ConfigError` (the CLI turns it into its message and exit 2).
 */
export function loadCliConfig(ctx: Pick<CommandContext, "args" | "env" | "cwd">): RecallConfig {
  const file = strOption(ctx.args.values, "config");
  return loadConfig({ ...(file === undefined ? {} : { file }), env: ctx.env, cwd: ctx.cwd });
}

/** {@link loadCliConfig}, plus where each key's value came from (`default`, `file:LINE`, env name, `--flag`). */
export function loadCliConfigWithSources(ctx: Pick<CommandContext, "args" | "env" | "cwd">): ConfigWithSources {
  const file = strOption(ctx.args.values, "config");
  return loadConfigWithSources({ ...(file === undefined ? {} : { file }), env: ctx.env, cwd: ctx.cwd });
}
