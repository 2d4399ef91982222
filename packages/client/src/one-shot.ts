import { connect } from "node:net";
import { CLIENT_ERROR_CODES as C } from "./errors";
import { classifyStatus, classifyTransportError, envelopeProblem, failure, type BodyCheck } from "./outcome";
import type { ClientResult } from "./types";

// A one-shot HTTP/1.1 call over node:net, written by hand: no pool, no
// undici, no zod, and not node:http (whose set-up alone costs a one-shot
// CLI more than the request). Used by `recall query`.

/** Options of {@link postOnce} and {@link queryOnce}. */
export interface OneShotOptions {
  /** Deadline of the whole call in ms. */
  timeoutMs: number;
  /** Largest response accepted, headers included (default 16 MiB). */
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

/** A structurally valid envelope as `queryOnce` returns it (the fields of `ResponseEnvelope`). */
export interface EnvelopeShape {
  source: "sidecar" | "fallback";
  bundle_id: string | null;
  took_ms: number;
  truncated: boolean;
  evidence_quality: "indexed" | "text_search";
  fallback_reason?: string;
  retrieval?: "lexical" | "hybrid";
  vector_skipped_reason?: string;
  corrections?: { word: string; to: string }[];
  expansions?: { word: string; with: string[] }[];
  warnings?: string[];
  results: {
    id: string;
    text: string;
    kind: string;
    entities: string[];
    created_at: string;
    source_ref?: string;
    score: number;
    matched?: { lexical_rank?: number; vector_rank?: number };
  }[];
}

/** The bytes of one `POST path` with a JSON body; `Connection: close`, so the answer ends the exchange. */
export function buildPostRequest(path: string, body: string): Buffer {
  const payload = Buffer.from(body, "utf8");
  const head = `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), payload]);
}

/** Outcome of {@link parseHttpResponse}. */
export type ParsedResponse =
  | { state: "incomplete"; headersDone: boolean }
  | { state: "done"; status: number; body: Buffer }
  | { state: "error"; code: string; message: string };

function parserError(code: string, message: string): ParsedResponse {
  return { state: "error", code, message };
}

function dechunk(data: Buffer, start: number, eof: boolean): ParsedResponse {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at, "latin1");
    if (lineEnd === -1) return eof ? parserError("HPE_INVALID_CHUNK_SIZE", "truncated chunk") : { state: "incomplete", headersDone: true };
    const sizeText = data.toString("latin1", at, lineEnd).split(";")[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) return parserError("HPE_INVALID_CHUNK_SIZE", "invalid chunk size");
    const size = parseInt(sizeText, 16);
    if (size === 0) return { state: "done", status: 0, body: Buffer.concat(parts) };
    const end = lineEnd + 2 + size;
    if (data.length < end + 2) return eof ? parserError("HPE_INVALID_CHUNK_SIZE", "truncated chunk") : { state: "incomplete", headersDone: true };
    if (data[end] !== 13 || data[end + 1] !== 10) return parserError("HPE_STRICT", "chunk not followed by CRLF");
    parts.push(data.subarray(lineEnd + 2, end));
    at = end + 2;
  }
}

/**
 * Parses an HTTP/1.1 response held in `data` (everything received so far;
 * `eof` once the peer closed): status line, headers, then a body framed by
 * `Content-Length`, chunked encoding, or the end of the connection. 1xx
 * answers are skipped. Malformed input is an `error` with an `HPE_*`-style code.
 */
export function parseHttpResponse(data: Buffer, eof: boolean): ParsedResponse {
  let start = 0;
  for (;;) {
    const headEnd = data.indexOf("\r\n\r\n", start, "latin1");
    if (headEnd === -1) {
      if (data.length - start > 64 * 1024) return parserError("HPE_HEADER_OVERFLOW", "response headers exceed 64 KiB");
      return eof ? parserError("HPE_INVALID_EOF_STATE", "connection closed before the response headers ended") : { state: "incomplete", headersDone: false };
    }
    const lines = data.toString("latin1", start, headEnd).split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (!m) return parserError("HPE_INVALID_CONSTANT", "bad status line");
    const status = Number(m[1]);
    let length: number | null = null;
    let chunked = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) return parserError("HPE_INVALID_HEADER_TOKEN", "bad header line");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^\d{1,15}$/.test(value) || (length !== null && length !== Number(value))) return parserError("HPE_INVALID_CONTENT_LENGTH", "bad content-length");
        length = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = value.toLowerCase().split(",").map((s) => s.trim()).includes("chunked");
      }
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200) {
      start = bodyStart;
      continue;
    }
    if (chunked) {
      const r = dechunk(data, bodyStart, eof);
      return r.state === "done" ? { state: "done", status, body: r.body } : r;
    }
    if (length !== null) {
      if (data.length - bodyStart >= length) return { state: "done", status, body: data.subarray(bodyStart, bodyStart + length) };
      return eof ? parserError("HPE_INVALID_EOF_STATE", "connection closed before the body ended") : { state: "incomplete", headersDone: true };
    }
    return eof ? { state: "done", status, body: data.subarray(bodyStart) } : { state: "incomplete", headersDone: true };
  }
}

/**
 * One `POST path` with a JSON body over the Unix socket at `socketPath`, on a
 * fresh connection, classified with the shared outcome table (the same as
 * `SidecarClient`). Resolves within `timeoutMs`; never throws.
 */
export function postOnce<T>(socketPath: string, path: string, body: string, check: BodyCheck<T>, opts: OneShotOptions): Promise<ClientResult<T>> {
  const max = opts.maxResponseBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve) => {
    let done = false;
    let headersDone = false;
    let chunks: Buffer[] = [];
    let size = 0;
    const finish = (r: ClientResult<T>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = () => finish(failure("timeout", { code: C.aborted, message: "the call was aborted" }));
    const timer = setTimeout(() => finish(failure("timeout", { code: C.deadlineExceeded, message: `no complete answer from the sidecar within ${opts.timeoutMs} ms` })), opts.timeoutMs);
    const step = (eof: boolean) => {
      if (done) return;
      // closed with not one byte of answer: the sidecar went away (as node and undici report it)
      if (eof && size === 0) return finish(classifyTransportError(Object.assign(new Error("socket closed"), { code: "ECONNRESET" }), false));
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      chunks = [data];
      const r = parseHttpResponse(data, eof);
      if (r.state === "incomplete") {
        headersDone = r.headersDone;
        return;
      }
      if (r.state === "error") finish(classifyTransportError(Object.assign(new Error(r.message), { code: r.code }), false));
      else finish(classifyStatus(r.status, r.body.toString("utf8"), check));
    };
    const sock = connect(socketPath);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    // no half-close: some servers drop a half-closed peer; `Connection: close` ends the exchange
    sock.on("connect", () => sock.write(buildPostRequest(path, body)));
    sock.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) return finish(failure("internal", { code: C.responseTooLarge, message: `sidecar answer exceeds ${max} bytes` }));
      chunks.push(c);
      step(false);
    });
    sock.on("end", () => step(true));
    sock.on("close", () => step(true));
    sock.on("error", (e) => finish(classifyTransportError(e, headersDone)));
  });
}

const envelopeCheck: BodyCheck<EnvelopeShape> = (json) => {
  const where = envelopeProblem(json);
  return where === null ? { ok: true, value: json as EnvelopeShape } : { ok: false, where };
};

/** `POST /query` once: {@link postOnce} with the structural envelope check. */
export function queryOnce(socketPath: string, intent: unknown, opts: OneShotOptions): Promise<ClientResult<EnvelopeShape>> {
  return postOnce(socketPath, "/query", JSON.stringify(intent), envelopeCheck, opts);
}
