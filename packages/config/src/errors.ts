/**
 * Every code a {@link ConfigError} can carry, with when it is used. The
 * README's "Errors" table lists exactly these (a unit test checks both ways).
 */
export const CONFIG_ERROR_CODES = Object.freeze({
  CONFIG_INVALID: "a bad value or an unknown key; also `parseDuration`/`parseSize` on bad text",
  CONFIG_FILE_MISSING: "an explicit config file is absent or unreadable, or a config path is not a regular file",
  CONFIG_PARSE: "the YAML does not parse, repeats a key, nests too deep or expands too many aliases",
  CONFIG_TOO_LARGE: "the config file is over 64 KiB",
} as const);

/** Stable codes of {@link ConfigError}. */
export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

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
 * It carries no exit code: the apps map a `ConfigError` to their own
 * "usage/config" status (2, docs/exit-codes.md).
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code: ConfigErrorCode;
  readonly key?: string;
  readonly source?: string;
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, message: string, opts: ConfigErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.key !== undefined) this.key = opts.key;
    if (opts.source !== undefined) this.source = opts.source;
    this.issues = Object.freeze([...(opts.issues ?? [])]);
  }
}
