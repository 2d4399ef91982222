import { Pool, type Dispatcher } from "undici";
import { Call, abortedResult } from "./call";
import { Health, ReloadResult, ResponseEnvelope, type QueryIntent } from "@recall/protocol";
import { failure, type ResponseSchema } from "./classify";
import { CLIENT_ERROR_CODES as C, SidecarClientError } from "./errors";
import type { CallOptions, ClientResult, SidecarClientOptions } from "./types";

const DEFAULTS = { requestTimeoutMs: 2000, connections: 8, maxResponseBytes: 16 * 1024 * 1024, keepAliveTimeoutMs: 30_000 };
const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" };
const GET_HEADERS = { accept: "application/json" };

/** Longest delay a Node timer honours; larger ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

function positive(name: string, v: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new SidecarClientError("CLIENT_INVALID_OPTIONS", `${name} must be a positive finite number up to ${max}, got ${String(v)}`);
  }
  return v;
}

/**
 * Client of a memory sidecar (docs/protocol.md): HTTP/1.1 over its Unix socket with a
 * keep-alive connection pool (undici). Every call resolves to a
 * {@link ClientResult}: expected failures (socket missing or refused, a
 * deadline, an error status, a malformed answer, an abort) are returned,
 * never thrown, and no call outlives its deadline. Only programmer errors
 * (a missing `socketPath`, a non-positive timeout) throw a `SidecarClientError`.
 *
 * An aborted call returns `{class: "timeout", error: {code: "aborted"}}`.
 * `health` and `query` are retried once, within the same deadline, when a
 * kept-alive connection turns out closed before any answer (a restarted sidecar).
 */
export class SidecarClient {
  readonly socketPath: string;
  readonly requestTimeoutMs: number;
  readonly #pool: Pool;
  readonly #maxResponseBytes: number;
  #closing: Promise<void> | null = null;

  constructor(options: SidecarClientOptions) {
    const o = { __proto__: null, ...options } as SidecarClientOptions;
    if (typeof o.socketPath !== "string" || o.socketPath === "") {
      throw new SidecarClientError("CLIENT_INVALID_OPTIONS", "SidecarClient: socketPath is required");
    }
    this.socketPath = o.socketPath;
    this.requestTimeoutMs = positive("requestTimeoutMs", o.requestTimeoutMs, DEFAULTS.requestTimeoutMs, MAX_TIMER_MS);
    const connections = Math.max(1, Math.floor(positive("connections", o.connections, DEFAULTS.connections)));
    this.#maxResponseBytes = positive("maxResponseBytes", o.maxResponseBytes, DEFAULTS.maxResponseBytes);
    const keepAlive = positive("keepAliveTimeoutMs", o.keepAliveTimeoutMs, DEFAULTS.keepAliveTimeoutMs, MAX_TIMER_MS);
    this.#pool = new Pool("http://localhost", {
      connect: { socketPath: this.socketPath },
      connections,
      pipelining: 1,
      keepAliveTimeout: keepAlive,
      keepAliveMaxTimeout: keepAlive,
      // undici's own timeouts are off: each call's deadline timer bounds it, even while queued
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  /** `GET /health`. */
  health(opts?: CallOptions): Promise<ClientResult<Health>> {
    return this.#call("GET", "/health", undefined, Health, true, opts);
  }

  /** `POST /query`. The intent is sent as is; the sidecar validates it (400 → `bad_request`). */
  query(intent: QueryIntent, opts?: CallOptions): Promise<ClientResult<ResponseEnvelope>> {
    return this.#call("POST", "/query", JSON.stringify(intent), ResponseEnvelope, true, opts);
  }

  /** `POST /bundle/reload`: 409 → `busy`, 422 → `incompatible`. Never retried. */
  reload(opts?: CallOptions): Promise<ClientResult<ReloadResult>> {
    return this.#call("POST", "/bundle/reload", "", ReloadResult, false, opts);
  }

  /**
   * Closes the pool: new calls return `unavailable`/`client_closed`; calls in
   * flight finish (each within its own deadline). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#pool.close().catch(() => undefined);
    return this.#closing;
  }

  #call<T>(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    schema: ResponseSchema<T>,
    retryOnStale: boolean,
    opts: CallOptions | undefined,
  ): Promise<ClientResult<T>> {
    let timeoutMs: number;
    try {
      timeoutMs = positive("timeoutMs", opts?.timeoutMs, this.requestTimeoutMs, MAX_TIMER_MS);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const signal = opts?.signal;
    if (this.#closing) return Promise.resolve(failure("unavailable", { code: C.clientClosed, message: "the client is closed" }));
    if (signal?.aborted) return Promise.resolve(abortedResult());
    const options: Dispatcher.DispatchOptions = { path, method, headers: body === undefined ? GET_HEADERS : JSON_HEADERS, body: body ?? null };
    return new Promise<ClientResult<T>>((resolve) => {
      new Call<T>({ dispatcher: this.#pool, options, schema, maxBytes: this.#maxResponseBytes, timeoutMs, retryOnStale, signal, resolve });
    });
  }
}
