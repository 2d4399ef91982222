/**
 * Codes of the `error` in a failed {@link ClientResult}, besides the codes a
 * sidecar sends in its error body (`bad_request`, `no_bundle`,
 * `incompatible_bundle`, `reload_in_progress`, …), which are passed through.
 */
export const CLIENT_ERROR_CODES = Object.freeze({
  /** `unavailable`: the socket file does not exist. */
  socketMissing: "socket_missing",
  /** `unavailable`: the socket exists but nothing accepts on it. */
  connectionRefused: "connection_refused",
  /** `unavailable`: the socket refuses us (permissions) or is not a socket. */
  socketUnusable: "socket_unusable",
  /** `unavailable`: the connection closed before any answer. */
  connectionClosed: "connection_closed",
  /** `unavailable`: the client was closed before or during the call. */
  clientClosed: "client_closed",
  /** `timeout`: no complete answer before the deadline. */
  deadlineExceeded: "deadline_exceeded",
  /** `timeout`: the caller's `AbortSignal` fired. */
  aborted: "aborted",
  /** `internal`: the answer was not JSON, or failed its schema, or was cut short. */
  badResponse: "bad_response",
  /** `internal`: the answer exceeded the response size limit. */
  responseTooLarge: "response_too_large",
  /** `internal`: a status (or error code) the protocol does not define for this request. */
  unexpectedStatus: "unexpected_status",
  /** `internal`: any other transport failure. */
  transportError: "transport_error",
} as const);

/**
 * Every code a thrown {@link SidecarClientError} can carry, with when it is
 * used. The README's "Errors" table lists exactly these and every value of
 * {@link CLIENT_ERROR_CODES} (a unit test checks both ways).
 */
export const SIDECAR_CLIENT_ERROR_CODES = Object.freeze({
  CLIENT_INVALID_OPTIONS: "a missing `socketPath`, or a non-positive or non-finite timeout, connection count or size limit",
} as const);

/** Stable codes of {@link SidecarClientError}. */
export type SidecarClientErrorCode = keyof typeof SIDECAR_CLIENT_ERROR_CODES;

/**
 * Thrown only for programmer errors (a missing `socketPath`, a non-positive
 * timeout). Every expected failure of a call is a returned `ClientResult`.
 */
export class SidecarClientError extends Error {
  override readonly name = "SidecarClientError";
  readonly code: SidecarClientErrorCode;

  constructor(code: SidecarClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
