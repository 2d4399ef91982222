/** Process exit codes of `recall` (docs/exit-codes.md). */
export const EXIT = Object.freeze({
  ok: 0,
  error: 1,
  usage: 2,
  unavailable: 3,
} as const);
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

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
