export { Supervisor, SUPERVISOR_DEFAULTS } from "./supervisor";
export { backoffDelay } from "./backoff";
export { realClock } from "@recall/ports";
export type { Clock, Logger } from "@recall/ports";
export { SupervisorError, SUPERVISOR_ERROR_CODES } from "./errors";
export type { SupervisorErrorCode } from "./errors";
export type {
  BackoffOptions,
  DegradedReason,
  ExitContext,
  ExitInfo,
  ReadyFailure,
  ReadyInfo,
  ReadyResult,
  RunOutcome,
  Spawner,
  SupervisorOptions,
  SupervisorSnapshot,
  SupervisorState,
} from "./types";
