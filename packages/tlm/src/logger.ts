import type { Logger } from "@recall/ports";

/** The logger seam and its no-op default (the library default) have one home: `@recall/ports`. */
export type { Logger };
export { noopLogger } from "@recall/ports";

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * A logger writing one JSON object per line (`{level, time, pid, msg, ...}`)
 * to `write` (the CLI passes stderr). Lines below `minLevel` are dropped.
 */
export function jsonLineLogger(write: (line: string) => void, minLevel: keyof typeof LEVELS = "info"): Logger {
  const min = LEVELS[minLevel];
  const emit = (level: keyof typeof LEVELS) => (obj: object, msg?: string) => {
    if (LEVELS[level] < min) return;
    let line: string;
    try {
      line = JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, msg, ...obj });
    } catch {
      line = JSON.stringify({ level, time: new Date().toISOString(), pid: process.pid, msg });
    }
    write(line + "\n");
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
