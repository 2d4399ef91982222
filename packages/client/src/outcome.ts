import { CLIENT_ERROR_CODES as C } from "./errors";
import type { ClientErrorInfo, ClientResult } from "./types";

// The one outcome table of the repository (docs/protocol.md): how an HTTP
// answer or a transport failure maps to a result class. Pure functions, no
// zod, no undici: `SidecarClient` and the CLI's one-shot query both use them.

/** A failed {@link ClientResult}. */
export type Failure = Extract<ClientResult<never>, { class: Exclude<ClientResult<never>["class"], "ok"> }>;

/** Checks a 200 answer's JSON: its value when it passes, else where it failed (and zod-like issues when known). */
export type BodyCheck<T> = (json: unknown) => { ok: true; value: T } | { ok: false; where: string; issues?: unknown[] };

/** The sidecar's error body, structurally checked: `{error: {code, message, sub_code?, issues?}}`. */
export interface ErrorBodyLike {
  error: { code: string; message: string; sub_code?: string; issues?: unknown[] };
}

/** Builds a failed result. */
export function failure(cls: Failure["class"], error: ClientErrorInfo): Failure {
  return { class: cls, error };
}

/** The error body in `json`, when it has the shape of one; else null. */
export function errorBodyOf(json: unknown): ErrorBodyLike | null {
  const e = (json as { error?: unknown } | null)?.error as Record<string, unknown> | undefined;
  if (typeof json !== "object" || json === null || typeof e !== "object" || e === null) return null;
  if (typeof e.code !== "string" || typeof e.message !== "string") return null;
  if (e.sub_code !== undefined && typeof e.sub_code !== "string") return null;
  if (e.issues !== undefined && !Array.isArray(e.issues)) return null;
  return json as ErrorBodyLike;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function fromBody(status: number, body: ErrorBodyLike | null, fallbackCode: string, fallbackMessage: string): ClientErrorInfo {
  const e = body?.error;
  const info: ClientErrorInfo = { code: e?.code ?? fallbackCode, message: e?.message || fallbackMessage, status };
  if (e?.sub_code !== undefined) info.sub_code = e.sub_code;
  if (e?.issues !== undefined) info.issues = e.issues;
  return info;
}

/**
 * Maps an HTTP answer to a result (docs/protocol.md): 200 with a body passing
 * `check` → ok; 400 → bad_request; 503 `no_bundle` → unavailable; 503/422
 * `incompatible_bundle` → incompatible; 409 → busy; anything else, or a body
 * failing its check → internal. Never throws.
 */
export function classifyStatus<T>(status: number, text: string, check: BodyCheck<T>): ClientResult<T> {
  const json = parseJson(text);
  if (status === 200) {
    if (!json.ok) return failure("internal", { code: C.badResponse, message: "sidecar answered 200 with a body that is not JSON", status });
    const r = check(json.value);
    if (r.ok) return { class: "ok", value: r.value, status };
    return failure("internal", {
      code: C.badResponse,
      message: `sidecar answered 200 with a body failing its schema (at ${r.where})`,
      status,
      ...(r.issues ? { issues: r.issues } : {}),
    });
  }
  const body = json.ok ? errorBodyOf(json.value) : null;
  const code = body?.error.code;
  switch (status) {
    case 400:
      return failure("bad_request", fromBody(status, body, "bad_request", "sidecar rejected the request (400)"));
    case 409:
      return failure("busy", fromBody(status, body, "reload_in_progress", "sidecar is busy (409)"));
    case 503:
      if (code === "no_bundle") return failure("unavailable", fromBody(status, body, "no_bundle", "no bundle installed"));
      if (code === "incompatible_bundle") return failure("incompatible", fromBody(status, body, "incompatible_bundle", "bundle cannot be served"));
      break;
    case 422:
      if (code === "incompatible_bundle") return failure("incompatible", fromBody(status, body, "incompatible_bundle", "bundle cannot be served"));
      break;
  }
  const detail = code ? ` (${code}${body?.error.message ? `: ${body.error.message}` : ""})` : body ? "" : json.ok ? " (body is not an error body)" : " (body is not JSON)";
  const info: ClientErrorInfo = { code: C.unexpectedStatus, message: `sidecar answered ${status}${detail}`, status };
  if (body?.error.sub_code !== undefined) info.sub_code = body.error.sub_code;
  return failure("internal", info);
}

/** Transport error codes (node's errno, undici's) meaning "the sidecar is not there". */
export const UNAVAILABLE_CODES: Readonly<Record<string, readonly [string, string]>> = Object.freeze({
  ENOENT: [C.socketMissing, "sidecar socket does not exist"],
  ENOTDIR: [C.socketMissing, "sidecar socket does not exist"],
  ECONNREFUSED: [C.connectionRefused, "nothing accepts connections on the sidecar socket"],
  EACCES: [C.socketUnusable, "permission denied on the sidecar socket"],
  EPERM: [C.socketUnusable, "permission denied on the sidecar socket"],
  ENOTSOCK: [C.socketUnusable, "the sidecar socket path is not a socket"],
});
/** A connection closed under a request (node's errno and undici's codes). */
export const CLOSED_CODES: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
/** The client itself was closed or destroyed (undici). */
export const DESTROYED_CODES: ReadonlySet<string> = new Set(["UND_ERR_DESTROYED", "UND_ERR_CLIENT_CLOSED"]);

function errCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const c = e?.code ?? e?.cause?.code;
  return typeof c === "string" ? c : undefined;
}

/** True for a connection that closed under a request before any answer (a stale keep-alive socket). */
export function isConnectionClosed(err: unknown): boolean {
  const c = errCode(err);
  return c !== undefined && CLOSED_CODES.has(c);
}

/**
 * Maps a transport failure to a result. `answered` says whether response
 * headers had arrived: a connection cut after that is a truncated answer
 * (internal), before it the sidecar went away (unavailable). HTTP parser
 * errors (`HPE_*`) are a malformed answer (internal).
 */
export function classifyTransportError(err: unknown, answered: boolean): Failure {
  const code = errCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const u = code === undefined ? undefined : UNAVAILABLE_CODES[code];
  if (u) return failure("unavailable", { code: u[0], message: u[1] });
  if (code && DESTROYED_CODES.has(code)) return failure("unavailable", { code: C.clientClosed, message: "the client is closed" });
  if (answered) return failure("internal", { code: C.badResponse, message: `sidecar answer cut short: ${message}` });
  if (code && CLOSED_CODES.has(code)) return failure("unavailable", { code: C.connectionClosed, message: "sidecar closed the connection without answering" });
  if (code?.startsWith("HPE_") || (err as Error | null)?.name === "HTTPParserError") {
    return failure("internal", { code: C.badResponse, message: `sidecar answer is not valid HTTP: ${message}` });
  }
  return failure("internal", { code: C.transportError, message: `request to the sidecar failed: ${message}` });
}

/**
 * Structural check of a `ResponseEnvelope` (docs/protocol.md) without zod:
 * the same rules as `@recall/protocol`'s schema. Returns the first bad path, or null.
 */
export function envelopeProblem(v: unknown): string | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "(body)";
  const e = v as Record<string, unknown>;
  if (e.source !== "sidecar" && e.source !== "fallback") return "source";
  if (e.bundle_id !== null && typeof e.bundle_id !== "string") return "bundle_id";
  if (typeof e.took_ms !== "number" || !(e.took_ms >= 0)) return "took_ms";
  if (typeof e.truncated !== "boolean") return "truncated";
  if (e.evidence_quality !== "indexed" && e.evidence_quality !== "text_search") return "evidence_quality";
  if (e.fallback_reason !== undefined && typeof e.fallback_reason !== "string") return "fallback_reason";
  if (e.retrieval !== undefined && e.retrieval !== "lexical" && e.retrieval !== "hybrid") return "retrieval";
  if (e.vector_skipped_reason !== undefined && typeof e.vector_skipped_reason !== "string") return "vector_skipped_reason";
  if (e.warnings !== undefined && (!Array.isArray(e.warnings) || !e.warnings.every((x) => typeof x === "string"))) return "warnings";
  if (e.corrections !== undefined) {
    if (!Array.isArray(e.corrections)) return "corrections";
    for (let i = 0; i < e.corrections.length; i++) {
      const c = e.corrections[i] as Record<string, unknown> | null;
      if (typeof c !== "object" || c === null || Array.isArray(c) || typeof c.word !== "string" || typeof c.to !== "string") return `corrections.${i}`;
    }
  }
  if (e.expansions !== undefined) {
    if (!Array.isArray(e.expansions)) return "expansions";
    for (let i = 0; i < e.expansions.length; i++) {
      const x = e.expansions[i] as Record<string, unknown> | null;
      if (typeof x !== "object" || x === null || Array.isArray(x) || typeof x.word !== "string") return `expansions.${i}`;
      if (!Array.isArray(x.with) || !x.with.every((w) => typeof w === "string")) return `expansions.${i}.with`;
    }
  }
  if (!Array.isArray(e.results)) return "results";
  for (let i = 0; i < e.results.length; i++) {
    const r = e.results[i] as Record<string, unknown> | null;
    if (typeof r !== "object" || r === null || Array.isArray(r)) return `results.${i}`;
    for (const k of ["id", "text", "kind", "created_at"]) if (typeof r[k] !== "string") return `results.${i}.${k}`;
    if (typeof r.score !== "number") return `results.${i}.score`;
    if (!Array.isArray(r.entities) || !r.entities.every((x) => typeof x === "string")) return `results.${i}.entities`;
    if (r.source_ref !== undefined && typeof r.source_ref !== "string") return `results.${i}.source_ref`;
    if (r.matched !== undefined) {
      const m = r.matched as Record<string, unknown> | null;
      if (typeof m !== "object" || m === null || Array.isArray(m)) return `results.${i}.matched`;
      for (const k of ["lexical_rank", "vector_rank"]) {
        const n = m[k];
        if (n !== undefined && !(typeof n === "number" && Number.isSafeInteger(n) && n > 0)) return `results.${i}.matched.${k}`;
      }
    }
  }
  return null;
}
