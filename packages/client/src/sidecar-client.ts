import { Pool, type Dispatcher } from "undici";
import { Health, ReloadResult, ResponseEnvelope, type QueryIntent } from "@recall/protocol";
import { classifyResponse, classifyTransportError, failure, isConnectionClosed, type ResponseSchema } from "./classify";
import { CLIENT_ERROR_CODES as C, SidecarClientError } from "./errors";
import type { CallOptions, ClientResult, SidecarClientOptions } from "./types";

const DEFAULTS = { requestTimeoutMs: 2000, connections: 8, maxResponseBytes: 16 * 1024 * 1024, keepAliveTimeoutMs: 30_000 };
const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" };
const GET_HEADERS = { accept: "application/json" };

type Why = "deadline" | "aborted" | null;

function positive(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new SidecarClientError("CLIENT_INVALID_OPTIONS", `${name} must be a positive finite number, got ${String(v)}`);
  }
  return v;
}

/**
 * Client of a memory sidecar (SPEC §2): HTTP/1.1 over its Unix socket with a
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
    this.requestTimeoutMs = positive("requestTimeoutMs", o.requestTimeoutMs, DEFAULTS.requestTimeoutMs);
    const connections = Math.floor(positive("connections", o.connections, DEFAULTS.connections));
    this.#maxResponseBytes = positive("maxResponseBytes", o.maxResponseBytes, DEFAULTS.maxResponseBytes);
    const keepAlive = positive("keepAliveTimeoutMs", o.keepAliveTimeoutMs, DEFAULTS.keepAliveTimeoutMs);
    this.#pool = new Pool("http://localhost", {
      connect: { socketPath: this.socketPath },
      connections,
      pipelining: 1,
      keepAliveTimeout: keepAlive,
      keepAliveMaxTimeout: keepAlive,
      // the per-call deadline (an AbortSignal) is what bounds a call; these are only a backstop
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

  async #call<T>(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    schema: ResponseSchema<T>,
    retryOnStale: boolean,
    opts: CallOptions | undefined,
  ): Promise<ClientResult<T>> {
    const timeoutMs = positive("timeoutMs", opts?.timeoutMs, this.requestTimeoutMs);
    const caller = opts?.signal;
    if (this.#closing) return failure("unavailable", { code: C.clientClosed, message: "the client is closed" });
    if (caller?.aborted) return aborted();
    const ac = new AbortController();
    let why: Why = null;
    const timer = setTimeout(() => {
      why ??= "deadline";
      ac.abort(new Error("deadline exceeded"));
    }, timeoutMs);
    const onAbort = () => {
      why ??= "aborted";
      ac.abort(new Error("aborted by the caller"));
    };
    caller?.addEventListener("abort", onAbort, { once: true });
    try {
      for (let attempt = 0; ; attempt++) {
        let answered = false;
        try {
          const res = await this.#pool.request({
            path,
            method,
            headers: body === undefined ? GET_HEADERS : JSON_HEADERS,
            body,
            signal: ac.signal,
          });
          answered = true;
          const text = await this.#readBody(res);
          if (text === null) {
            return failure("internal", {
              code: C.responseTooLarge,
              message: `sidecar answer exceeds ${this.#maxResponseBytes} bytes`,
              status: res.statusCode,
            });
          }
          return classifyResponse(res.statusCode, text, schema);
        } catch (err) {
          if (why === "deadline") return deadline(timeoutMs);
          if (why === "aborted") return aborted();
          if (retryOnStale && attempt === 0 && !answered && isConnectionClosed(err)) continue;
          return classifyTransportError(err, answered);
        }
      }
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onAbort);
    }
  }

  async #readBody(res: Dispatcher.ResponseData): Promise<string | null> {
    const declared = Number(res.headers["content-length"]);
    const discard = () => {
      // destroying emits an AbortError; nobody else listens, and the connection is dropped with it
      res.body.on("error", () => undefined);
      res.body.destroy();
    };
    if (Number.isFinite(declared)) {
      if (declared > this.#maxResponseBytes) {
        discard();
        return null;
      }
      // undici enforces Content-Length, so text() cannot read more than declared
      return res.body.text();
    }
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of res.body) {
      n += chunk.length;
      if (n > this.#maxResponseBytes) {
        discard();
        return null;
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks, n).toString("utf8");
  }
}

function deadline(ms: number) {
  return failure("timeout", { code: C.deadlineExceeded, message: `no complete answer from the sidecar within ${ms} ms` });
}

function aborted() {
  return failure("timeout", { code: C.aborted, message: "the call was aborted" });
}
