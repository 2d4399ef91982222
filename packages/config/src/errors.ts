/** Stable codes of {@link ConfigError}. */
export type ConfigErrorCode = "CONFIG_INVALID" | "CONFIG_FILE_MISSING" | "CONFIG_PARSE" | "CONFIG_TOO_LARGE";

/** Where a configuration value came from. */
export type ConfigSource =
  | { kind: "default" }
  | { kind: "file"; file: string; line: number }
  | { kind: "env"; name: string }
  | { kind: "flag"; name: string };

/** One problem found while loading the configuration. */
export interface ConfigIssue {
  /** Dotted key, e.g. `memory.socket_path` (absent for whole-file problems). */
  key?: string;
  /** Where the value came from, rendered: `config.yaml:12`, `RECALL_MEMORY_X`, `--socket_path`, `default`. */
  source?: string;
  /** What was expected, in words. */
  expected: string;
  /** What was found, rendered (secrets appear as `<redacted>`). */
  found?: string;
  /** Full one-line message for this issue. */
  message: string;
}

/** Options of {@link ConfigError}. */
export interface ConfigErrorOptions {
  key?: string;
  source?: string;
  issues?: ConfigIssue[];
  cause?: unknown;
}

/**
 * The one error class of `@recall/config`. Thrown by `loadConfig`,
 * `parseDuration` and `parseSize`. The message names the key, its source,
 * what was expected and what was found; it never contains a secret value.
 * `exitCode` is 2, the CLI's "usage/config" exit status.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code: ConfigErrorCode;
  readonly key?: string;
  readonly source?: string;
  readonly issues: readonly ConfigIssue[];
  readonly exitCode = 2 as const;

  constructor(code: ConfigErrorCode, message: string, opts: ConfigErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.key !== undefined) this.key = opts.key;
    if (opts.source !== undefined) this.source = opts.source;
    this.issues = Object.freeze([...(opts.issues ?? [])]);
  }
}

/** Renders a {@link ConfigSource} the way error messages show it. */
export function formatSource(source: ConfigSource): string {
  switch (source.kind) {
    case "default":
      return "default";
    case "file":
      return `${source.file}:${source.line}`;
    case "env":
      return source.name;
    case "flag":
      return source.name;
  }
}
