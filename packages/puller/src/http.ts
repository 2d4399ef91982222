import { request, type Dispatcher } from "undici";
import { checkRedirect, checkUrl, sameOrigin } from "./url-policy";
import type { FailReason } from "./types";

const MAX_REDIRECTS = 5;

/** A request failure mapped to a pull failure reason; messages never hold headers or secrets. */
export interface HttpFailure {
  ok: false;
  reason: FailReason;
  message: string;
}

/** A response whose body still has to be consumed or dumped. */
export interface HttpResponse {
  ok: true;
  status: number;
  headers: Dispatcher.ResponseData["headers"];
  body: Dispatcher.ResponseData["body"];
  url: URL;
}

/** Options of {@link httpGet}. */
export interface HttpGetOptions {
  /** Origin that may receive the API key: only URLs of this origin get `X-API-Key`. */
  keyOrigin: URL;
  apiKey: string;
  extraHeaders?: Record<string, string>;
  allowInsecureHttp: boolean;
  signal: AbortSignal;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** Maps a thrown request error to a content-free failure. */
export function mapRequestError(err: unknown, signal: AbortSignal): HttpFailure {
  if (signal.aborted) return { ok: false, reason: "aborted", message: "aborted" };
  const e = err as { code?: string; name?: string };
  const code = typeof e?.code === "string" ? e.code : (e?.name ?? "Error");
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
    return { ok: false, reason: "timeout", message: `request timed out (${code})` };
  }
  return { ok: false, reason: "network", message: `network error (${code})` };
}

/**
 * GET with manual redirects (at most 5): every hop must pass the URL policy,
 * a redirect from https to plain http is never followed (not even to
 * loopback, not even with `allowInsecureHttp`), and the API key is attached
 * only to hops of `keyOrigin` (docs/SECURITY.md).
 * Non-redirect responses are returned whatever their status; transport
 * errors are returned as failures, never thrown.
 */
export async function httpGet(url: URL, opts: HttpGetOptions): Promise<HttpResponse | HttpFailure> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const refused = checkUrl(current, opts.allowInsecureHttp);
    if (refused !== null) return { ok: false, reason: "insecure_url", message: refused };
    const headers: Record<string, string> = { accept: "*/*", ...opts.extraHeaders };
    if (sameOrigin(current, opts.keyOrigin) && opts.apiKey !== "") headers["x-api-key"] = opts.apiKey;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, {
        method: "GET",
        headers,
        signal: opts.signal,
        headersTimeout: opts.headersTimeoutMs,
        bodyTimeout: opts.bodyTimeoutMs,
      });
    } catch (err) {
      return mapRequestError(err, opts.signal);
    }
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(res.statusCode) && typeof location === "string") {
      await res.body.dump().catch(() => {});
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        return { ok: false, reason: "http_status", message: `bad redirect location (HTTP ${res.statusCode})` };
      }
      const refusedHop = checkRedirect(current, next, opts.allowInsecureHttp);
      if (refusedHop !== null) return { ok: false, reason: "insecure_url", message: refusedHop };
      current = next;
      continue;
    }
    return { ok: true, status: res.statusCode, headers: res.headers, body: res.body, url: current };
  }
  return { ok: false, reason: "http_status", message: "too many redirects" };
}

/** Reads a whole body, failing once it passes `maxBytes` (never trusting Content-Length). */
export async function readCapped(
  body: Dispatcher.ResponseData["body"],
  maxBytes: number,
): Promise<{ ok: true; data: Buffer } | { ok: false; tooLarge: boolean; error?: unknown }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > maxBytes) {
        body.destroy();
        return { ok: false, tooLarge: true };
      }
      chunks.push(b);
    }
  } catch (error) {
    return { ok: false, tooLarge: false, error };
  }
  return { ok: true, data: Buffer.concat(chunks, size) };
}

/** The single value of a response header, if any. */
export function headerValue(headers: HttpResponse["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
