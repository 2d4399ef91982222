import { noopAudit, noopLogger, type AuditSink, type Logger } from "@recall/ports";

/**
 * The defaults of the injected seams — `realClock` (wall-clock time; `sleep`
 * rejects with `signal.reason` on abort), `noopLogger`, `noopAudit` — have
 * one home: `@recall/ports`.
 */
export { noopAudit, noopLogger, realClock } from "@recall/ports";

/** @deprecated The same object as `noopLogger` (from `@recall/ports`, re-exported here); use that name. */
export const nullLogger: Logger = noopLogger;

/** @deprecated The same object as `noopAudit` (from `@recall/ports`, re-exported here); use that name. */
export const nullAudit: AuditSink = noopAudit;
