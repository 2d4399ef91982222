import type { Dispatcher } from "undici";
import { classifyResponse, classifyTransportError, failure, isConnectionClosed, type ResponseSchema } from "./classify";
import { CLIENT_ERROR_CODES as C } from "./errors";
import type { ClientResult } from "./types";

const TOO_LARGE = new Error("response too large");
const DEADLINE = new Error("deadline exceeded");
const ABORTED = new Error("aborted by the caller");

/** What a {@link Call} needs to run. */
export interface CallSpec<T> {
  dispatcher: Dispatcher;
  options: Dispatcher.DispatchOptions;
  schema: ResponseSchema<T>;
  maxBytes: number;
  timeoutMs: number;
  retryOnStale: boolean;
  signal: AbortSignal | undefined;
  resolve: (r: ClientResult<T>) => void;
}

function onDeadline(call: Call<never>): void {
  call.settle(failure("timeout", { code: C.deadlineExceeded, message: `no complete answer from the sidecar within ${call.timeoutMs} ms` }), DEADLINE);
}

/** The result of an aborted call. */
export function abortedResult(): ClientResult<never> {
  return failure("timeout", { code: C.aborted, message: "the call was aborted" });
}

/**
 * One client call: an undici dispatch handler that buffers the answer (up to
 * `maxBytes`), owns the deadline timer and the caller's abort listener, and
 * resolves exactly once. It settles at its deadline or abort whatever undici
 * is doing (queued behind busy connections, connecting, reading), then
 * aborts the request. Written as one object with no per-call closures
 * because it is the hot path (see the README's benchmark).
 */
export class Call<T> implements Dispatcher.DispatchHandler {
  readonly timeoutMs: number;
  readonly #spec: CallSpec<T>;
  readonly #timer: NodeJS.Timeout;
  #settled = false;
  #attempt = 0;
  #controller: Dispatcher.DispatchController | null = null;
  #abortReason: Error | null = null;
  #status = 0;
  #answered = false;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(spec: CallSpec<T>) {
    this.#spec = spec;
    this.timeoutMs = spec.timeoutMs;
    this.#timer = setTimeout(onDeadline, spec.timeoutMs, this as unknown as Call<never>);
    spec.signal?.addEventListener("abort", this, { once: true });
    this.#dispatch();
  }

  /** The caller's signal fired (EventListener object form: no closure needed). */
  handleEvent(): void {
    this.settle(abortedResult(), ABORTED);
  }

  /** Resolves the call once; with `abortWith`, also aborts the request in flight. */
  settle(result: ClientResult<T>, abortWith?: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#spec.signal?.removeEventListener("abort", this);
    this.#spec.resolve(result);
    if (abortWith) {
      this.#abortReason = abortWith;
      this.#controller?.abort(abortWith);
    }
  }

  #dispatch(): void {
    this.#controller = null;
    this.#status = 0;
    this.#answered = false;
    this.#chunks = [];
    this.#size = 0;
    try {
      this.#spec.dispatcher.dispatch(this.#spec.options, this);
    } catch (err) {
      this.#failed(err instanceof Error ? err : new Error(String(err)));
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason) controller.abort(this.#abortReason);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx informational
    this.#status = statusCode;
    this.#answered = true;
    if (Number(headers["content-length"]) > this.#spec.maxBytes) controller.abort(TOO_LARGE);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > this.#spec.maxBytes) controller.abort(TOO_LARGE);
    else this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    const chunks = this.#chunks;
    this.#chunks = [];
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks, this.#size).toString("utf8");
    this.settle(classifyResponse(this.#status, text, this.#spec.schema));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#chunks = [];
    if (this.#settled) return;
    if (error === TOO_LARGE) {
      this.settle(failure("internal", { code: C.responseTooLarge, message: `sidecar answer exceeds ${this.#spec.maxBytes} bytes`, status: this.#status }));
      return;
    }
    this.#failed(error);
  }

  #failed(error: Error): void {
    if (this.#spec.retryOnStale && this.#attempt === 0 && !this.#answered && isConnectionClosed(error)) {
      // a kept-alive connection closed under us (a restarted sidecar): once more, same deadline
      this.#attempt++;
      this.#dispatch();
      return;
    }
    this.settle(classifyTransportError(error, this.#answered));
  }
}
