import type { ParsedArgs } from "./args";
import type { Output } from "./output";

/**
 * What a command receives: its parsed arguments, where to write, the environment.
 * It lives apart from `registry.ts` so commands depend on this type only, never on
 * the registry that loads them (no import cycle, type-only or otherwise).
 */
export interface CommandContext {
  args: ParsedArgs;
  out: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  /** The CLI's version. */
  version: string;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** A command's implementation: resolves with the exit code. */
export type CommandRun = (ctx: CommandContext) => Promise<number>;
