/**
 * Every code a {@link DaemonError} can carry, with when it is used. The
 * README's "Errors" table lists exactly these (a unit test checks both ways).
 */
export const DAEMON_ERROR_CODES = Object.freeze({
  DAEMON_ALREADY_RUNNING: "another recalld already serves the control socket",
  DAEMON_SOCKET_PATH_TOO_LONG: "the control socket path is longer than 107 bytes",
  DAEMON_CONTROL_SOCKET: "the control socket cannot be bound (a file that is not a socket is in the way, or listen failed)",
  DAEMON_UNSAFE_DIR: "the socket directory or the bundle root is owned or writable by another user",
} as const);

/** Stable codes of the errors recalld reports. */
export type DaemonErrorCode = keyof typeof DAEMON_ERROR_CODES;

/**
 * The base error of recalld: a stable `code`, the socket and pid concerned
 * when known, the original `cause`. It carries no exit code: `runDaemon`
 * maps codes to exit statuses itself (`exitCodeOf` in `exit-codes.ts`).
 */
export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  /** The socket concerned, when there is one. */
  readonly socketPath?: string;
  /** The pid of the daemon already serving the control socket, when known. */
  readonly pid?: number | null;

  constructor(
    code: DaemonErrorCode,
    message: string,
    opts: { socketPath?: string; pid?: number | null; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "DaemonError";
    this.code = code;
    if (opts.socketPath !== undefined) this.socketPath = opts.socketPath;
    if (opts.pid !== undefined) this.pid = opts.pid;
  }
}
