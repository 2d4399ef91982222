// `@recall/client/lite`: the outcome table and a one-shot query, with no
// undici and no zod, for short-lived processes such as `recall query`.
export {
  classifyStatus,
  classifyTransportError,
  envelopeProblem,
  errorBodyOf,
  failure,
  isConnectionClosed,
  UNAVAILABLE_CODES,
  CLOSED_CODES,
  DESTROYED_CODES,
} from "./outcome";
export type { BodyCheck, ErrorBodyLike, Failure } from "./outcome";
export { buildPostRequest, parseHttpResponse, postOnce, queryOnce } from "./one-shot";
export type { EnvelopeShape, OneShotOptions, ParsedResponse } from "./one-shot";
export { CLIENT_ERROR_CODES } from "./errors";
export type { ClientErrorInfo, ClientResult } from "./types";
