/**
 * Every code a {@link TlmError} can carry, with when it is used. The
 * README's "Errors" table lists exactly these (a unit test checks both ways).
 * The exit status of the `tlm` command for each code is the CLI's business
 * (`exitCodeOf` in `cli-exit.ts`), not the error's.
 */
export const TLM_ERROR_CODES = Object.freeze({
  TLM_SOCKET_IN_USE: "a live server already answers on the socket, or a file that is not a socket is in the way",
  TLM_SOCKET_PATH_TOO_LONG: "the socket path is over the platform's limit (107 bytes)",
  TLM_INVALID_RECORD: "an input record (JSONL line or Markdown section) is invalid",
  TLM_INVALID_INPUT: "an input file cannot be read, or `buildBundle` got neither or both of `from` and `records`",
  TLM_BUILD_FAILED: "embedding the memories or writing the database failed while building a bundle",
  TLM_USAGE: "the `tlm` command line is wrong (unknown command or option, missing or malformed value)",
  TLM_UNSAFE_DIR: "the socket directory or bundle root is owned or writable by another user",
  TLM_EMBEDDER_UNAVAILABLE: "the word-vector table is missing or malformed, or an embeddings endpoint failed",
  TLM_BODY_TOO_LARGE: "an HTTP request body is over a cap (answered 413 `payload_too_large`, never thrown out of the server)",
} as const);

/** Stable codes of {@link TlmError}. */
export type TlmErrorCode = keyof typeof TLM_ERROR_CODES;

/** Base class of every `@recall/tlm` error: a stable `code` and the original `cause`. */
export class TlmError extends Error {
  readonly code: TlmErrorCode;
  constructor(code: TlmErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "TlmError";
    this.code = code;
  }
}

/** A live server already answers on the socket: `tlm serve` refuses to start. */
export class SocketInUseError extends TlmError {
  readonly path: string;
  constructor(path: string) {
    super("TLM_SOCKET_IN_USE", `a live server already answers on ${path}; refusing to start`);
    this.name = "SocketInUseError";
    this.path = path;
  }
}

/** An input record (JSONL line or Markdown section) is invalid; `line` is 1-based when known. */
export class InvalidRecordError extends TlmError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string, cause?: unknown) {
    super("TLM_INVALID_RECORD", `${file}${line === undefined ? "" : `:${line}`}: ${message}`, { cause });
    this.name = "InvalidRecordError";
    this.file = file;
    this.line = line;
  }
}

/** The `tlm` command line is wrong; the CLI prints the message and a pointer to `--help`. */
export class UsageError extends TlmError {
  constructor(message: string) {
    super("TLM_USAGE", message);
    this.name = "UsageError";
  }
}

/** An HTTP request body was over a cap (bytes declared or counted while streaming, or pieces); `reason` says which. */
export class BodyTooLargeError extends TlmError {
  readonly reason: string;
  constructor(reason: string) {
    super("TLM_BODY_TOO_LARGE", reason);
    this.name = "BodyTooLargeError";
    this.reason = reason;
  }
}
