import { ConfigError } from "@recall/config";
import { DaemonError, type DaemonErrorCode } from "./errors";

/**
 * Exit status of recalld when an error of each code ends it (README "Exit
 * codes"): 2 for a configuration the operator must fix, 1 otherwise.
 */
export const DAEMON_EXIT_CODES: Readonly<Record<DaemonErrorCode, 1 | 2>> = Object.freeze({
  DAEMON_ALREADY_RUNNING: 1,
  DAEMON_SOCKET_PATH_TOO_LONG: 2,
  DAEMON_CONTROL_SOCKET: 1,
  DAEMON_UNSAFE_DIR: 2,
});

/** The exit status for `err`: a `ConfigError` is 2, a `DaemonError` per {@link DAEMON_EXIT_CODES}, anything else 1. */
export function exitCodeOf(err: unknown): 1 | 2 {
  if (err instanceof ConfigError) return 2;
  if (err instanceof DaemonError) return DAEMON_EXIT_CODES[err.code];
  return 1;
}
