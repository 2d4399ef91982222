/** Stable codes of the errors recalld reports. */
export type DaemonErrorCode =
  | "DAEMON_ALREADY_RUNNING"
  | "DAEMON_SOCKET_PATH_TOO_LONG"
  | "DAEMON_CONTROL_SOCKET"
  | "DAEMON_UNSAFE_DIR";

/**
 * The base error of recalld. `exitCode` is what the process exits with when
 * this error ends it: 2 for a configuration problem (a socket path too long, an unsafe
 * socket directory or bundle root), 1 otherwise.
 * (Usage and config-file errors are not thrown: `runDaemon` reports them and returns 2.)
 */
export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  readonly exitCode: 1 | 2;
  /** The socket concerned, when there is one. */
  readonly socketPath?: string;
  /** The pid of the daemon already serving the control socket, when known. */
  readonly pid?: number | null;

  constructor(
    code: DaemonErrorCode,
    message: string,
    opts: { exitCode?: 1 | 2; socketPath?: string; pid?: number | null; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "DaemonError";
    this.code = code;
    this.exitCode = opts.exitCode ?? 1;
    if (opts.socketPath !== undefined) this.socketPath = opts.socketPath;
    if (opts.pid !== undefined) this.pid = opts.pid;
  }
}
