/**
 * The defaults of the injected seams — `realClock` (`Date.now` and an
 * abortable timer that rejects with `signal.reason`), `noopLogger`,
 * `noopAudit` — have one home: `@recall/ports`.
 */
export { noopAudit, noopLogger, realClock } from "@recall/ports";
