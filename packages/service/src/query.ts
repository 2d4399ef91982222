import { performance } from "node:perf_hooks";
import type { QueryIntent } from "@recall/protocol";
import type { ServiceContext } from "./context";
import type { ClientPart } from "./parts";
import type { QueryOutcome } from "./types";

type ErrorBody = { code: string; message: string };

/**
 * Queries and the fallback: the sidecar's answer while ready, `unavailable`
 * at once (or the configured fallback's envelope) while not. Wall time for
 * the `onQuery` hook and `took_ms` is measured with `performance.now()`.
 */
export class QueryPath {
  readonly #ctx: ServiceContext;
  /** Asks for a health re-check (an `unavailable`/`incompatible` answer while ready). */
  readonly #recheck: () => void;

  constructor(ctx: ServiceContext, recheck: () => void) {
    this.#ctx = ctx;
    this.#recheck = recheck;
  }

  /** Not ready: `unavailable` (`not_ready`) without I/O, with the fallback's envelope when one is configured. */
  async notReady(intent: QueryIntent, t0: number, status: string, reason: string): Promise<QueryOutcome> {
    const error = { code: "not_ready", message: `memory is not ready (${status}: ${reason})` };
    if (this.#ctx.o.fallback === undefined) {
      this.#onQuery("unavailable", t0);
      return { class: "unavailable", error };
    }
    return this.#fallback(intent, t0, reason, error);
  }

  /** Ready: the sidecar's answer within `timeoutMs`. */
  async ready(client: ClientPart, intent: QueryIntent, signal: AbortSignal | undefined, timeoutMs: number, t0: number): Promise<QueryOutcome> {
    const call: { signal?: AbortSignal; timeoutMs: number } = { timeoutMs };
    if (signal) call.signal = signal;
    const r = await client.query(intent, call);
    if (r.class === "ok") {
      this.#onQuery("ok", t0);
      return { class: "ok", envelope: r.value };
    }
    const error = { code: r.error.code, message: r.error.message };
    if (r.class === "unavailable" || r.class === "incompatible") {
      this.#recheck();
      if (this.#ctx.o.fallback !== undefined) return this.#fallback(intent, t0, `sidecar_${r.error.code}`, error);
    }
    this.#onQuery(r.class, t0);
    return { class: r.class, error };
  }

  /** A query that failed unexpectedly (a bug in a part): `internal`, logged. */
  internal(err: unknown, t0: number): QueryOutcome {
    this.#ctx.logger.error({ err: this.#ctx.errorSummary(err) }, "memory query failed unexpectedly");
    this.#onQuery("internal", t0);
    return { class: "internal", error: { code: "internal", message: "query failed unexpectedly" } };
  }

  async #fallback(intent: QueryIntent, t0: number, reason: string, error: ErrorBody): Promise<QueryOutcome> {
    const ctx = this.#ctx;
    const fallback = ctx.o.fallback as NonNullable<typeof ctx.o.fallback>;
    let results;
    try {
      results = await fallback(intent);
    } catch (err) {
      ctx.logger.warn({ err: ctx.errorSummary(err) }, "memory fallback failed");
      this.#onQuery("unavailable", t0);
      return { class: "unavailable", error };
    }
    const limit = intent.limit ?? 10;
    const took = performance.now() - t0;
    ctx.callHook("onQuery", () => ctx.hooks.onQuery?.("unavailable", took));
    return {
      class: "unavailable",
      error,
      envelope: {
        source: "fallback",
        bundle_id: null,
        took_ms: took,
        truncated: results.length > limit,
        evidence_quality: "text_search",
        fallback_reason: reason,
        results: results.slice(0, limit),
      },
    };
  }

  #onQuery(cls: Parameters<NonNullable<ServiceContext["hooks"]["onQuery"]>>[0], t0: number): void {
    const ctx = this.#ctx;
    ctx.callHook("onQuery", () => ctx.hooks.onQuery?.(cls, performance.now() - t0));
  }
}
