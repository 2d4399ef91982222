export { Service, realParts } from "./service";
// The "is this directory private" rule lives in @recall/safe-fs (checkBundleRoot, its bundle-root layer, in
// @recall/puller); re-exported for the daemon.
export { checkPrivateDir } from "@recall/safe-fs";
export { checkBundleRoot } from "@recall/puller";
export type { PrivateDirResult, PrivateDirOptions } from "@recall/safe-fs";
export { ServiceCore } from "./service-core";
export { serviceOptionsFromConfig, resolveOptions, DEFAULT_BACKOFF, SERVICE_DEFAULTS } from "./options";
export type { ServiceConfigInput, ResolvedOptions } from "./options";
export { ServiceError, ServiceOptionsError, SERVICE_ERROR_CODES } from "./errors";
export type { ServiceErrorCode } from "./errors";
export { contentFree, scrub } from "./content-free";
export { realClock, noopLogger, noopAudit } from "@recall/ports";
export type { AuditSink, Clock, Logger } from "@recall/ports";
/** Deprecated aliases of `noopLogger` / `noopAudit`. */
export { nullLogger, nullAudit } from "./clock";
export type {
  BackoffSettings,
  Fallback,
  Provider,
  PullNowOutcome,
  PullOutcome,
  PullerSettings,
  QueryOptions,
  QueryOutcome,
  ServiceDeps,
  ServiceHooks,
  ServiceMode,
  ServiceOptions,
  ServiceStatus,
  StatusSnapshot,
} from "./types";
export type {
  BundleStateLike,
  CallOpts,
  CallResult,
  ClientPart,
  ExitInfoLike,
  PullerPart,
  ReadyResultLike,
  ServiceParts,
  SidecarPart,
  SupervisorCallbacks,
  SupervisorPart,
  SupervisorSettings,
} from "./parts";
