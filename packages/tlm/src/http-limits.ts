import type { IncomingMessage, Server, ServerOptions as HttpServerOptions } from "node:http";
import type { Duplex } from "node:stream";
import { ERROR_CODES } from "@recall/protocol";
import { BodyTooLargeError } from "./errors";

/**
 * Caps of tlm's HTTP server. The largest legal query intent (2000 chars of
 * text and 32 entities of 200 chars, every char JSON-escaped as `\uXXXX`) is
 * about 51 KB, so the 64 KiB body cap never refuses a valid request.
 */
export const HTTP_LIMITS = Object.freeze({
  /** Largest request body; over it: 413 and the connection is closed without reading the rest. */
  maxBodyBytes: 64 * 1024,
  /**
   * Most pieces a body may arrive in (chunked encoding); over it: 413. Every
   * piece costs a parser callback and a stream event: 64 KiB sent as one-byte
   * chunks cost ~100x a one-piece body, so the count is capped as well as the bytes.
   */
  maxBodyChunks: 4096,
  /**
   * After a 413, how many more body bytes are read and discarded, and for how
   * long, before the connection is cut: a client still writing its body can
   * then read the 413 instead of meeting a reset.
   */
  lingerBytes: 1024 * 1024,
  lingerMs: 2_000,
  /** Largest request head (request line + headers); over it: 431. */
  maxHeaderBytes: 16 * 1024,
  /** Most headers read from one request; the rest are ignored. */
  maxHeadersCount: 100,
  /** Time to receive a request's head (slowloris); over it: 408 and close. */
  headersTimeoutMs: 5_000,
  /** Time to receive a whole request (head + body); over it: 408 and close. */
  requestTimeoutMs: 10_000,
  /** Idle time of a kept-alive connection before it is closed. */
  keepAliveTimeoutMs: 5_000,
  /** Simultaneous connections; more are dropped at once. */
  maxConnections: 128,
  /** How often the timeouts above are checked. */
  checkIntervalMs: 1_000,
});

/** The limits a caller may override (tests use small ones). */
export type HttpLimits = { -readonly [K in keyof typeof HTTP_LIMITS]: number };

/** The `node:http` server options that carry the limits. */
export function httpServerOptions(l: HttpLimits): HttpServerOptions {
  return {
    maxHeaderSize: l.maxHeaderBytes,
    headersTimeout: l.headersTimeoutMs,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: l.checkIntervalMs,
  };
}

/** Applies the limits `createServer` options cannot carry. */
export function applyServerLimits(server: Server, l: HttpLimits): void {
  server.maxConnections = l.maxConnections;
  server.maxHeadersCount = l.maxHeadersCount;
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
}


/**
 * Reads a request body, counting while it streams: rejects with
 * {@link BodyTooLargeError} as soon as the declared `content-length` or the bytes
 * read exceed `max`, or the body arrives in more than `maxChunks` pieces, and
 * then stops reading (the request is paused; the caller answers 413 and closes
 * the connection).
 */
export function readBody(req: IncomingMessage, max: number, maxChunks: number = HTTP_LIMITS.maxBodyChunks): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) { req.pause(); reject(new BodyTooLargeError(`body is over ${max} bytes`)); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (c: Buffer) => {
      size += c.length;
      const over = size > max ? `body is over ${max} bytes` : chunks.length >= maxChunks ? `body arrives in more than ${maxChunks} pieces` : null;
      if (over !== null) {
        failed = true;
        req.off("data", onData);
        req.pause();
        chunks.length = 0;
        reject(new BodyTooLargeError(over));
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => { if (!failed) resolve(Buffer.concat(chunks)); });
    req.on("error", (e) => { if (!failed) { failed = true; reject(e); } });
  });
}

/**
 * Call before answering 413 with `connection: close`: the rest of the body is
 * read and discarded, at most `maxBytes` more in at most `maxPieces` pieces and for at most `ms`, then the
 * connection is destroyed; it closes earlier when the client closes its side.
 * Without this, closing with unread bytes resets the connection and a client
 * still writing its body never sees the 413.
 */
export function lingerThenClose(req: IncomingMessage, maxBytes: number, ms: number, maxPieces: number = HTTP_LIMITS.maxBodyChunks): void {
  const socket = req.socket;
  let seen = 0;
  let pieces = 0;
  req.removeAllListeners("data");
  req.on("data", (c: Buffer) => {
    seen += c.length;
    if (seen > maxBytes || ++pieces > maxPieces) socket.destroy();
  });
  req.resume();
  const timer = setTimeout(() => socket.destroy(), ms);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  // node:http ends a `connection: close` exchange with destroySoon(), which drops unread bytes: half-close instead.
  socket.destroySoon = () => { socket.end(); };
}

/** A raw HTTP/1.1 answer with an ErrorBody, for errors found before a request exists (bad framing, timeouts, oversized heads). */
export function rawErrorResponse(status: number, reason: string, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * The answer to a request the parser refused (`clientError`): 431 for an
 * oversized head, 408 for a head or request that took too long, 400 for
 * everything else, each with an ErrorBody; null when nothing should be written.
 */
export function clientErrorResponse(err: NodeJS.ErrnoException): string {
  if (err.code === "HPE_HEADER_OVERFLOW") {
    return rawErrorResponse(431, "Request Header Fields Too Large", ERROR_CODES.badRequest, "request head is too large");
  }
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "HPE_HEADERS_TIMEOUT") {
    return rawErrorResponse(408, "Request Timeout", ERROR_CODES.badRequest, "request took too long to arrive");
  }
  return rawErrorResponse(400, "Bad Request", ERROR_CODES.badRequest, "malformed HTTP request");
}

/** Writes {@link clientErrorResponse} when the socket can take it, then closes it. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, mayWrite: boolean): void {
  if (mayWrite && socket.writable && err.code !== "ECONNRESET") socket.end(clientErrorResponse(err));
  else socket.destroy();
}
