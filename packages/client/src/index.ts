export { SidecarClient } from "./sidecar-client";
export { probeHealth } from "./probe-health";
export { classifyResponse, classifyTransportError } from "./classify";
export type { ResponseSchema } from "./classify";
export { CLIENT_ERROR_CODES, SidecarClientError } from "./errors";
export type { SidecarClientErrorCode } from "./errors";
export type { CallOptions, ClientErrorInfo, ClientResult, SidecarClientOptions } from "./types";
export type { Health, QueryIntent, ResponseEnvelope, ReloadResult, ErrorClass, MemoryResult } from "@recall/protocol";
