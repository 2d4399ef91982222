import { request } from "node:http";
import type { EnvelopeLike } from "./render-results";

/** How a query call ended: the classes and codes of `@recall/client`'s `ClientResult`. */
export type QueryCallResult =
  | { class: "ok"; envelope: EnvelopeLike }
  | { class: "unavailable" | "timeout" | "bad_request" | "incompatible" | "busy" | "internal"; error: { code: string; message: string; status?: number; issues?: unknown[] } };

const UNAVAILABLE: Record<string, [string, string]> = {
  ENOENT: ["socket_missing", "sidecar socket does not exist"],
  ENOTDIR: ["socket_missing", "sidecar socket does not exist"],
  ECONNREFUSED: ["connection_refused", "nothing accepts connections on the sidecar socket"],
  EACCES: ["socket_unusable", "permission denied on the sidecar socket"],
  EPERM: ["socket_unusable", "permission denied on the sidecar socket"],
  ENOTSOCK: ["socket_unusable", "the sidecar socket path is not a socket"],
};

const MAX_BODY = 16 * 1024 * 1024;

/**
 * Structural check of a `ResponseEnvelope` (SPEC §2) without zod: the fields
 * the CLI prints must have their types. Returns the first bad path or null.
 */
export function envelopeProblem(v: unknown): string | null {
  if (typeof v !== "object" || v === null) return "(body)";
  const e = v as Record<string, unknown>;
  if (e.source !== "sidecar" && e.source !== "fallback") return "source";
  if (e.bundle_id !== null && typeof e.bundle_id !== "string") return "bundle_id";
  if (typeof e.took_ms !== "number") return "took_ms";
  if (typeof e.truncated !== "boolean") return "truncated";
  if (typeof e.evidence_quality !== "string") return "evidence_quality";
  if (!Array.isArray(e.results)) return "results";
  for (let i = 0; i < e.results.length; i++) {
    const r = e.results[i] as Record<string, unknown> | null;
    if (typeof r !== "object" || r === null) return `results.${i}`;
    for (const k of ["id", "text", "kind", "created_at"]) if (typeof r[k] !== "string") return `results.${i}.${k}`;
    if (typeof r.score !== "number") return `results.${i}.score`;
    if (!Array.isArray(r.entities) || !r.entities.every((x) => typeof x === "string")) return `results.${i}.entities`;
    if (r.source_ref !== undefined && typeof r.source_ref !== "string") return `results.${i}.source_ref`;
  }
  return null;
}

function classifyStatus(status: number, text: string): QueryCallResult {
  let json: unknown;
  let isJson = true;
  try {
    json = JSON.parse(text);
  } catch {
    isJson = false;
  }
  if (status === 200) {
    if (!isJson) return { class: "internal", error: { code: "bad_response", message: "sidecar answered 200 with a body that is not JSON", status } };
    const bad = envelopeProblem(json);
    if (bad) return { class: "internal", error: { code: "bad_response", message: `sidecar answered 200 with a body failing its schema (at ${bad})`, status } };
    return { class: "ok", envelope: json as EnvelopeLike };
  }
  const err = (json as { error?: { code?: unknown; message?: unknown; issues?: unknown } } | undefined)?.error;
  const code = typeof err?.code === "string" ? err.code : undefined;
  const message = typeof err?.message === "string" ? err.message : "";
  const info = (fallbackCode: string, fallbackMessage: string) => ({
    code: code ?? fallbackCode,
    message: message || fallbackMessage,
    status,
    ...(Array.isArray(err?.issues) ? { issues: err.issues } : {}),
  });
  if (status === 400) return { class: "bad_request", error: info("bad_request", "sidecar rejected the request (400)") };
  if (status === 409) return { class: "busy", error: info("reload_in_progress", "sidecar is busy (409)") };
  if (status === 503 && code === "no_bundle") return { class: "unavailable", error: info("no_bundle", "no bundle installed") };
  if ((status === 503 || status === 422) && code === "incompatible_bundle") return { class: "incompatible", error: info("incompatible_bundle", "bundle cannot be served") };
  return { class: "internal", error: { code: "unexpected_status", message: `sidecar answered ${status}${code ? ` (${code}${message ? `: ${message}` : ""})` : ""}`, status } };
}

/**
 * One `POST /query` over the sidecar's Unix socket with node:http, for the
 * CLI's one-shot path: no pool, no zod, so start-up stays near `node -e 0`.
 * Classifies exactly like `SidecarClient` (SPEC §2). Never throws.
 */
export function postQuery(socketPath: string, intent: unknown, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<QueryCallResult> {
  const body = JSON.stringify(intent);
  return new Promise((resolve) => {
    let done = false;
    let answered = false;
    const finish = (r: QueryCallResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      req.destroy();
      resolve(r);
    };
    const req = request(
      {
        socketPath,
        path: "/query",
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", accept: "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) finish({ class: "internal", error: { code: "response_too_large", message: "sidecar answer exceeds 16 MiB" } });
          else chunks.push(c);
        });
        res.on("end", () => finish(classifyStatus(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"))));
        res.on("error", (e) => finish({ class: "internal", error: { code: "bad_response", message: `sidecar answer cut short: ${e.message}` } }));
      },
    );
    const onAbort = () => finish({ class: "timeout", error: { code: "aborted", message: "the call was aborted" } });
    const timer = setTimeout(
      () => finish({ class: "timeout", error: { code: "deadline_exceeded", message: `no answer within ${opts.timeoutMs} ms` } }),
      opts.timeoutMs,
    );
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (e: NodeJS.ErrnoException) => {
      const u = e.code ? UNAVAILABLE[e.code] : undefined;
      if (u) finish({ class: "unavailable", error: { code: u[0], message: u[1] } });
      else if (answered) finish({ class: "internal", error: { code: "bad_response", message: `sidecar answer cut short: ${e.message}` } });
      else if (e.code === "ECONNRESET" || e.code === "EPIPE") finish({ class: "unavailable", error: { code: "connection_closed", message: "sidecar closed the connection without answering" } });
      else finish({ class: "internal", error: { code: "transport_error", message: `request to the sidecar failed: ${e.message}` } });
    });
    req.end(body);
  });
}
