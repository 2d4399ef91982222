/** Stable codes of every error `@recall/tlm` throws or returns. */
export type TlmErrorCode =
  | "TLM_SOCKET_IN_USE"
  | "TLM_SOCKET_PATH_TOO_LONG"
  | "TLM_INVALID_RECORD"
  | "TLM_INVALID_INPUT"
  | "TLM_BUILD_FAILED"
  | "TLM_USAGE"
  | "TLM_UNSAFE_DIR"
  | "TLM_EMBEDDER_UNAVAILABLE";

/** Base class of every `@recall/tlm` error: a stable `code`, an exit code for the CLI, the original `cause`. */
export class TlmError extends Error {
  readonly code: TlmErrorCode;
  readonly exitCode: number;
  constructor(code: TlmErrorCode, message: string, opts: { cause?: unknown; exitCode?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "TlmError";
    this.code = code;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** A live server already answers on the socket: `tlm serve` refuses to start (CLI exit 3). */
export class SocketInUseError extends TlmError {
  readonly path: string;
  constructor(path: string) {
    super("TLM_SOCKET_IN_USE", `a live server already answers on ${path}; refusing to start`, { exitCode: 3 });
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
