/** Stable codes of {@link SidecarError}. */
export type SidecarErrorCode =
  | "SIDECAR_BINARY_MISSING"
  | "SIDECAR_EXEC_ERROR"
  | "SIDECAR_SOCKET_IN_USE"
  | "SIDECAR_ALREADY_RUNNING"
  | "SIDECAR_ABORTED";

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
export class ErrBinaryMissing extends SidecarError {
  readonly tlmPath: string | undefined;
  readonly searched: readonly string[];
  constructor(message: string, options: { tlmPath?: string; searched: readonly string[]; cause?: unknown }) {
    super("SIDECAR_BINARY_MISSING", message, { reason: "binary_missing", cause: options.cause });
    this.name = "ErrBinaryMissing";
    this.tlmPath = options.tlmPath;
    this.searched = Object.freeze([...options.searched]);
  }
}
