import { nullAudit, nullLogger, realClock } from "./clock";
import { scrub } from "./content-free";
import { ServiceError } from "./errors";
import type { ResolvedOptions } from "./options";
import type { ServiceParts } from "./parts";
import type { AuditSink, Clock, Logger, ServiceDeps, ServiceHooks } from "./types";

/**
 * What every concern of the service shares: the resolved options, the parts,
 * the injected collaborators, the stop signal, and the safe ways to audit, log
 * an error and call a hook.
 */
export class ServiceContext {
  readonly o: ResolvedOptions;
  readonly parts: ServiceParts;
  readonly audit: AuditSink;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly hooks: ServiceHooks;
  readonly #abort = new AbortController();
  #stopping = false;

  constructor(o: ResolvedOptions, deps: ServiceDeps & { parts: ServiceParts }) {
    this.o = o;
    this.parts = deps.parts;
    this.audit = deps.audit ?? nullAudit;
    this.logger = deps.logger ?? nullLogger;
    this.clock = deps.clock ?? realClock;
    this.hooks = deps.hooks ?? {};
  }

  /** Aborted by `stop()`: every loop, sleep and call of the service listens to it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** True from the first `stop()` call on. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Marks the service stopping and aborts {@link signal}. */
  beginStop(): void {
    this.#stopping = true;
    this.#abort.abort(new ServiceError("SERVICE_STOPPED", "memory service stopped"));
  }

  /** Logs an audit event; a sink that throws is logged and ignored. */
  auditLog(event: string, fields: Record<string, unknown>): void {
    try {
      this.audit.log(event, fields);
    } catch (err) {
      this.logger.warn({ err: this.errorSummary(err), event }, "audit sink failed");
    }
  }

  /** Name, code and message (scrubbed of the API key) of a foreign error, for logs. */
  errorSummary(err: unknown): { name: string; code?: string; message: string } {
    if (!(err instanceof Error)) return { name: typeof err, message: "" };
    const code = (err as { code?: unknown }).code;
    const message = scrub(err.message, this.o.puller.apiKey);
    return typeof code === "string" ? { name: err.name, code, message } : { name: err.name, message };
  }

  /** Calls a hook; one that throws is logged and ignored. */
  callHook(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.warn({ err: this.errorSummary(err), hook: name }, "memory service hook failed");
    }
  }

  /** Resolves after `p` settles or `ms` passes on the injected clock, whichever is first. */
  async bounded(p: Promise<unknown>, ms: number): Promise<void> {
    const timer = new AbortController();
    await Promise.race([p.catch(() => {}), this.clock.sleep(ms, timer.signal).catch(() => {})]);
    timer.abort();
  }
}
