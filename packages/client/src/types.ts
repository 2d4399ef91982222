import type { ErrorClass } from "@recall/protocol";

/** Options of one call. */
export interface CallOptions {
  /** Aborting ends the call promptly with `{class: "timeout", error: {code: "aborted"}}`. */
  signal?: AbortSignal;
  /** Deadline of this call in ms (default: the client's `requestTimeoutMs`). */
  timeoutMs?: number;
}

/** The error of a failed call. */
export interface ClientErrorInfo {
  /** A sidecar error code (`no_bundle`, …) or one of `CLIENT_ERROR_CODES`. */
  code: string;
  message: string;
  /** HTTP status, when an answer arrived. */
  status?: number;
  sub_code?: string;
  /** zod issues: the sidecar's (400) or the client's own (a response failing its schema). */
  issues?: unknown[];
}

/** Outcome of a call: never thrown, always returned. */
export type ClientResult<T> =
  | { class: "ok"; value: T; status: number }
  | { class: Exclude<ErrorClass, "ok">; error: ClientErrorInfo };

/** Options of `new SidecarClient()`. */
export interface SidecarClientOptions {
  /** Unix socket of the sidecar. Required. */
  socketPath: string;
  /** Default deadline of each call, in ms (default 2000). */
  requestTimeoutMs?: number;
  /** Most connections kept to the sidecar (default 8). */
  connections?: number;
  /** Largest response body accepted, in bytes (default 16 MiB). */
  maxResponseBytes?: number;
  /** How long an idle connection is kept open, in ms (default 30 000; the server's Keep-Alive hint may shorten it). */
  keepAliveTimeoutMs?: number;
}
