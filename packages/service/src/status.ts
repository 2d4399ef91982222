import type { Clock, Logger, ServiceStatus } from "./types";

/** The service's status, reason and detail (docs/status.md), and when it last became ready. */
export class StatusMachine {
  #status: ServiceStatus = "initializing";
  #reason: string | null = "not_started";
  #detail: Record<string, unknown> = {};
  #readySince: string | null = null;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onChange: () => void;

  /** `onChange` runs after every change of status, reason or detail. */
  constructor(clock: Clock, logger: Logger, onChange: () => void) {
    this.#clock = clock;
    this.#logger = logger;
    this.#onChange = onChange;
  }

  get status(): ServiceStatus {
    return this.#status;
  }

  get reason(): string | null {
    return this.#reason;
  }

  /** A copy of the current detail. */
  get detail(): Record<string, unknown> {
    return { ...this.#detail };
  }

  get readySince(): string | null {
    return this.#readySince;
  }

  /** Moves to `status`/`reason`/`detail`; a no-op (no log, no `onChange`) when nothing differs. */
  set(status: ServiceStatus, reason: string | null, detail: Record<string, unknown>): void {
    const prev = this.#status;
    const changed = status !== prev || reason !== this.#reason || !shallowEqual(detail, this.#detail);
    if (!changed) return;
    this.#status = status;
    this.#reason = reason;
    this.#detail = detail;
    if (status === "ready" && prev !== "ready") this.#readySince = new Date(this.#clock.now()).toISOString();
    if (status !== "ready") this.#readySince = null;
    this.#logger.info({ status, reason, detail }, "memory status");
    this.#onChange();
  }
}

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.is(a[k], b[k]));
}
