import { EXIT, type ExitCode } from "./exit-codes";

// The exit codes live in exit-codes.ts; re-exported here for existing importers.
export { EXIT, type ExitCode } from "./exit-codes";

/**
 * The codes `recall` itself raises, with the exit status each ends with. The
 * README's "Errors" table lists exactly these (a unit test checks both ways,
 * and that every code the sources raise is one of them).
 * Other codes reach the output passed through: `@recall/config`'s
 * `CONFIG_*`, a query's failure code upper-cased (`SOCKET_MISSING`,
 * `NO_BUNDLE`, …) and library codes (`BUNDLE_PACK_INPUT`, …).
 */
export const CLI_ERROR_CODES = Object.freeze({
  USAGE: EXIT.usage,
  BAD_MANIFEST: EXIT.error,
  BUNDLE_REJECTED: EXIT.error,
  BUSY: EXIT.unavailable,
  CLOUD_MISCONFIGURED: EXIT.usage,
  DAEMON_ERROR: EXIT.error,
  DAEMON_TIMEOUT: EXIT.error,
  DISABLED: EXIT.unavailable,
  INSTALL_FAILED: EXIT.error,
  KEY_EXISTS: EXIT.error,
  KEY_MISSING: EXIT.error,
  LISTEN_FAILED: EXIT.error,
  LOCAL_MODE: EXIT.usage,
  NOT_A_DIRECTORY: EXIT.usage,
  NO_MANIFEST: EXIT.usage,
  PULL_DISABLED: EXIT.unavailable,
  PULL_FAILED: EXIT.error,
} as const);

/** A code `recall` itself raises (see {@link CLI_ERROR_CODES}). */
export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/**
 * Base class of every error the CLI reports itself. `code` is stable
 * (`USAGE`, `UNAVAILABLE`, …), `exitCode` is what the process exits with and
 * `hint` the one-line fix shown under the message.
 */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  /** Extra fields merged into the `--json` error document (e.g. `class` for query). */
  readonly json: Record<string, unknown> | undefined;
  constructor(
    code: string,
    message: string,
    opts: { exitCode?: ExitCode; hint?: string; cause?: unknown; json?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "CliError";
    this.code = code;
    this.exitCode = opts.exitCode ?? EXIT.error;
    this.hint = opts.hint;
    this.json = opts.json;
  }
}

/** Bad command line: unknown option, missing value or argument. Exit 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super("USAGE", message, hint === undefined ? { exitCode: EXIT.usage } : { exitCode: EXIT.usage, hint });
    this.name = "UsageError";
  }
}
