export { Puller } from "./puller";
export type { TickOptions, ScheduleOptions } from "./puller";
export type { PullerOptions, ResolvedPullerOptions } from "./options";
export { installLocal } from "./install-local";
export type { InstallLocalOptions } from "./install-local";
export { recoverBundleRoot, readBundleState, hasValidCurrent } from "./bundle-root";
export { bundleRootLayout } from "./layout";
export { checkPrivateDir, checkBundleRoot } from "./private-dir";
export type { PrivateDirResult, PrivateDirOptions } from "./private-dir";
export type { BundleRootLayout } from "./layout";
export { tenantFingerprint } from "./tenant";
export { PullSchedule, FAILURE_RETRY_MS } from "./schedule";
export type { PullScheduleDeps } from "./schedule";
export { isLoopbackHost, checkUrl, checkRedirect, manifestUrlOf } from "./url-policy";
export { TransferGuard } from "./transfer-guard";
export type { TransferLimits, GuardTrip } from "./transfer-guard";
export { acquireLock } from "./lock";
export type { HeldLock } from "./lock";
export { realClock, noopLogger, noopAudit } from "@recall/ports";
export type { Logger, AuditSink, Clock } from "@recall/ports";
export { PullerError, PULLER_ERROR_CODES } from "./errors";
export type { PullerErrorCode } from "./errors";
export type {
  PullOutcome,
  PullPhase,
  PullProgress,
  FailReason,
  StateJson,
  CurrentBundle,
} from "./types";
