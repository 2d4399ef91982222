export {
  PROTOCOL_VERSION,
  MEMORY_KINDS,
  QUERY_LIMITS,
  ERROR_CODES,
  MemoryKind,
  QueryIntent,
  MemoryResult,
  ResponseEnvelope,
  HealthSubCode,
  Health,
  ErrorBody,
  ReloadResult,
  ErrorClass,
} from "./schemas";
export { parseQueryIntent, isOperational } from "./helpers";
export type { ParseResult } from "./helpers";
export { SOCKET_PATH_MAX_BYTES, socketPathFits, tenantFingerprint } from "./transport";
