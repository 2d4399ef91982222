export { noopLogger } from "./logger";
export type { Logger } from "./logger";
export { noopAudit } from "./audit";
export type { AuditSink } from "./audit";
export { realClock } from "./clock";
export type { Clock } from "./clock";
