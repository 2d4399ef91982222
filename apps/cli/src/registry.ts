import type { CommandSpec } from "./args";
import type { CommandRun } from "./command-context";
import { COMMAND_SPECS, TOP_LEVEL } from "./specs";

/** A registered command: its spec (cheap, static) and a lazy loader of its code. */
export interface CommandEntry {
  spec: CommandSpec;
  load: () => Promise<{ run: CommandRun }>;
}

/**
 * Every command: its spec (cheap, static, from `specs.ts`) and a loader that
 * imports the command's code only when it runs.
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = Object.freeze({
  query: { spec: COMMAND_SPECS["query"], load: () => import("./commands/query") },
  status: { spec: COMMAND_SPECS["status"], load: () => import("./commands/status") },
  pull: { spec: COMMAND_SPECS["pull"], load: () => import("./commands/pull") },
  doctor: { spec: COMMAND_SPECS["doctor"], load: () => import("./commands/doctor") },
  config: { spec: COMMAND_SPECS["config"], load: () => import("./commands/config") },
  "bundle keygen": { spec: COMMAND_SPECS["bundle keygen"], load: () => import("./commands/bundle-keygen") },
  "bundle pack": { spec: COMMAND_SPECS["bundle pack"], load: () => import("./commands/bundle-pack") },
  "bundle sign": { spec: COMMAND_SPECS["bundle sign"], load: () => import("./commands/bundle-sign") },
  "bundle verify": { spec: COMMAND_SPECS["bundle verify"], load: () => import("./commands/bundle-verify") },
  "bundle install": { spec: COMMAND_SPECS["bundle install"], load: () => import("./commands/bundle-install") },
  "bundle serve": { spec: COMMAND_SPECS["bundle serve"], load: () => import("./commands/bundle-serve") },
});

export { TOP_LEVEL };
