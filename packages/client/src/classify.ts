import { ErrorBody } from "@recall/protocol";
import { CLIENT_ERROR_CODES as C } from "./errors";
import type { ClientErrorInfo, ClientResult } from "./types";

/** The part of a zod schema the client uses (structural, so no zod edge is needed). */
export interface ResponseSchema<T> {
  safeParse(input: unknown):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

type Failure = Extract<ClientResult<never>, { class: Exclude<ClientResult<never>["class"], "ok"> }>;

/** Builds a failed result. */
export function failure(cls: Failure["class"], error: ClientErrorInfo): Failure {
  return { class: cls, error };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function fromBody(status: number, body: ErrorBody | null, fallbackCode: string, fallbackMessage: string): ClientErrorInfo {
  const e = body?.error;
  const info: ClientErrorInfo = { code: e?.code ?? fallbackCode, message: e?.message ?? fallbackMessage, status };
  if (e?.sub_code !== undefined) info.sub_code = e.sub_code;
  if (e?.issues !== undefined) info.issues = e.issues;
  return info;
}

/**
 * Maps an HTTP answer to a result (SPEC §2): 200 with a body passing
 * `schema` → ok; 400 → bad_request; 503 `no_bundle` → unavailable; 503/422
 * `incompatible_bundle` → incompatible; 409 → busy; anything else, or a
 * body failing its schema → internal.
 */
export function classifyResponse<T>(status: number, text: string, schema: ResponseSchema<T>): ClientResult<T> {
  const json = parseJson(text);
  if (status === 200) {
    if (!json.ok) return failure("internal", { code: C.badResponse, message: "sidecar answered 200 with a body that is not JSON", status });
    const r = schema.safeParse(json.value);
    if (r.success) return { class: "ok", value: r.data, status };
    const where = r.error.issues.map((i) => (i.path.length ? i.path.map(String).join(".") : "(body)")).slice(0, 5).join(", ");
    return failure("internal", {
      code: C.badResponse,
      message: `sidecar answered 200 with a body failing its schema (at ${where})`,
      status,
      issues: r.error.issues,
    });
  }
  const parsed = json.ok ? ErrorBody.safeParse(json.value) : null;
  const body = parsed?.success ? parsed.data : null;
  const code = body?.error.code;
  switch (status) {
    case 400:
      return failure("bad_request", fromBody(status, body, "bad_request", "sidecar rejected the request (400)"));
    case 409:
      return failure("busy", fromBody(status, body, "reload_in_progress", "sidecar is busy (409)"));
    case 503:
      if (code === "no_bundle") return failure("unavailable", fromBody(status, body, "no_bundle", ""));
      if (code === "incompatible_bundle") return failure("incompatible", fromBody(status, body, "incompatible_bundle", ""));
      break;
    case 422:
      if (code === "incompatible_bundle") return failure("incompatible", fromBody(status, body, "incompatible_bundle", ""));
      break;
  }
  const detail = code ? ` (${code}${body?.error.message ? `: ${body.error.message}` : ""})` : body ? "" : json.ok ? " (body is not an error body)" : " (body is not JSON)";
  const info: ClientErrorInfo = { code: C.unexpectedStatus, message: `sidecar answered ${status}${detail}`, status };
  if (body?.error.sub_code !== undefined) info.sub_code = body.error.sub_code;
  return failure("internal", info);
}

const UNAVAILABLE: Record<string, [string, string]> = {
  ENOENT: [C.socketMissing, "sidecar socket does not exist"],
  ECONNREFUSED: [C.connectionRefused, "nothing accepts connections on the sidecar socket"],
  EACCES: [C.socketUnusable, "permission denied on the sidecar socket"],
  EPERM: [C.socketUnusable, "permission denied on the sidecar socket"],
  ENOTSOCK: [C.socketUnusable, "the sidecar socket path is not a socket"],
  ENOTDIR: [C.socketMissing, "sidecar socket does not exist"],
};
const CLOSED = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const DESTROYED = new Set(["UND_ERR_DESTROYED", "UND_ERR_CLIENT_CLOSED"]);

function errCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const c = e?.code ?? e?.cause?.code;
  return typeof c === "string" ? c : undefined;
}

/** True for a connection that closed under a request before any answer (a stale keep-alive socket). */
export function isConnectionClosed(err: unknown): boolean {
  const c = errCode(err);
  return c !== undefined && CLOSED.has(c);
}

/**
 * Maps a transport failure to a result. `answered` says whether response
 * headers had arrived: a connection cut after that is a truncated answer
 * (internal), before it the sidecar went away (unavailable).
 */
export function classifyTransportError(err: unknown, answered: boolean): Failure {
  const code = errCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code && UNAVAILABLE[code]) {
    const [c, m] = UNAVAILABLE[code] as [string, string];
    return failure("unavailable", { code: c, message: m });
  }
  if (code && DESTROYED.has(code)) return failure("unavailable", { code: C.clientClosed, message: "the client is closed" });
  if (answered) return failure("internal", { code: C.badResponse, message: `sidecar answer cut short: ${message}` });
  if (code && CLOSED.has(code)) return failure("unavailable", { code: C.connectionClosed, message: "sidecar closed the connection without answering" });
  if (code?.startsWith("HPE_") || (err as Error | null)?.name === "HTTPParserError") {
    return failure("internal", { code: C.badResponse, message: `sidecar answer is not valid HTTP: ${message}` });
  }
  return failure("internal", { code: C.transportError, message: `request to the sidecar failed: ${message}` });
}
