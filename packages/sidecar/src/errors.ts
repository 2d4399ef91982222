/**
 * Every code a {@link SidecarError} can carry, with when it is used. The
 * README's "Errors" table lists exactly these (a unit test checks both ways).
 */
export const SIDECAR_ERROR_CODES = Object.freeze({
  /** `resolveBinary` found no binary, or `spawn` found it gone. */
  SIDECAR_BINARY_MISSING: "no usable sidecar binary: `tlm_path` missing, or no `tlm` on PATH and no bundled `@recall/tlm`",
  /** The binary cannot be run, the spawn failed, or the socket path is not a socket. */
  SIDECAR_EXEC_ERROR: "the binary is not executable, the spawn failed, or the socket path is not a socket",
  /** A live server already answers on the socket. */
  SIDECAR_SOCKET_IN_USE: "a live server already answers on the socket",
  /** `spawn` while a child of this handle still runs. */
  SIDECAR_ALREADY_RUNNING: "`spawn` was called while a child of this handle still runs",
  /** `spawn`'s signal was already aborted. */
  SIDECAR_ABORTED: "`spawn`'s signal was already aborted",
} as const);

/** Stable codes of {@link SidecarError}. */
export type SidecarErrorCode = keyof typeof SIDECAR_ERROR_CODES;

/** The supervisor-facing reason a failed `spawn` carries (docs/status.md). */
export type SpawnFailureReason = "binary_missing" | "exec_error" | "socket_in_use";

/**
 * Base class of this package's errors: a stable `code`, and for `spawn`
 * failures the `reason` a supervisor understands. The original error, if any,
 * is the `cause`.
 */
export class SidecarError extends Error {
  readonly code: SidecarErrorCode;
  readonly reason: SpawnFailureReason | undefined;
  constructor(code: SidecarErrorCode, message: string, options?: { cause?: unknown; reason?: SpawnFailureReason }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SidecarError";
    this.code = code;
    this.reason = options?.reason;
  }
}

/**
 * No usable sidecar binary: `tlm_path` missing or not executable, or no `tlm`
 * on PATH and no bundled `@recall/tlm`. `searched` lists what was tried.
 */
export class BinaryMissingError extends SidecarError {
  readonly tlmPath: string | undefined;
  readonly searched: readonly string[];
  constructor(message: string, options: { tlmPath?: string; searched: readonly string[]; cause?: unknown }) {
    super("SIDECAR_BINARY_MISSING", message, { reason: "binary_missing", cause: options.cause });
    this.name = "BinaryMissingError";
    this.tlmPath = options.tlmPath;
    this.searched = Object.freeze([...options.searched]);
  }
}

/** @deprecated Renamed {@link BinaryMissingError} (one naming style for error classes); the same class, `instanceof` included. */
export const ErrBinaryMissing = BinaryMissingError;
/** @deprecated Renamed {@link BinaryMissingError}. */
export type ErrBinaryMissing = BinaryMissingError;
