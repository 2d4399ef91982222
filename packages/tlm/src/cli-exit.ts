import { TlmError, type TlmErrorCode } from "./errors";

/**
 * Exit status of the `tlm` command for each error code: 2 usage or a
 * configuration the operator must fix (path too long, unsafe directory),
 * 3 socket in use, 1 anything else. The errors themselves carry no exit code.
 */
export const TLM_EXIT_CODES: Readonly<Record<TlmErrorCode, 1 | 2 | 3>> = Object.freeze({
  TLM_SOCKET_IN_USE: 3,
  TLM_SOCKET_PATH_TOO_LONG: 2,
  TLM_INVALID_RECORD: 1,
  TLM_INVALID_INPUT: 1,
  TLM_BUILD_FAILED: 1,
  TLM_USAGE: 2,
  TLM_UNSAFE_DIR: 2,
  TLM_EMBEDDER_UNAVAILABLE: 1,
  TLM_BODY_TOO_LARGE: 1,
});

/** The exit status `tlm` ends with for `e`: from {@link TLM_EXIT_CODES} for a {@link TlmError}, else 1. */
export function exitCodeOf(e: unknown): 1 | 2 | 3 {
  return e instanceof TlmError ? TLM_EXIT_CODES[e.code] : 1;
}
