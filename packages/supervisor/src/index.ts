export { Supervisor, SUPERVISOR_DEFAULTS } from "./supervisor";
export { backoffDelay } from "./backoff";
export { realClock } from "./clock";
export { SupervisorError, SUPERVISOR_ERROR_CODES } from "./errors";
export type { SupervisorErrorCode } from "./errors";
export type {
  BackoffOptions,
  Clock,
  DegradedReason,
  ExitContext,
  ExitInfo,
  Logger,
  ReadyFailure,
  ReadyInfo,
  ReadyResult,
  RunOutcome,
  Spawner,
  SupervisorOptions,
  SupervisorSnapshot,
  SupervisorState,
} from "./types";
