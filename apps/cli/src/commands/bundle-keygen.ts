import { CliError } from "../errors";
import type { CommandContext } from "../registry";

/** Not written yet. */
export async function run(_ctx: CommandContext): Promise<number> {
  throw new CliError("NOT_IMPLEMENTED", "not implemented yet");
}
