import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { resolve } from "node:path";
import { chmod, unlink } from "node:fs/promises";
import { ERROR_CODES, PROTOCOL_VERSION, QUERY_LIMITS, parseQueryIntent } from "@recall/protocol";
import type { Health, ReloadResult, ResponseEnvelope } from "@recall/protocol";
import { loadBundle, resolveCurrent, type LoadOutcome } from "./bundle-loader";
import { expectedSchema } from "./bundle-db-check";
import { assertSafeDir } from "./dir-safety";
import { BodyTooLargeError } from "./errors";
import { HTTP_LIMITS, type HttpLimits, answerClientError, applyServerLimits, httpServerOptions, lingerThenClose, readBody } from "./http-limits";
import { QueryVectors, type QueryVectorOptions, hybridQuery } from "./hybrid";
import { type Logger, noopLogger } from "./logger";
import { TlmMetrics } from "./metrics";
import { SUPPORTED_SCHEMA } from "./schema";
import { prepareSocketPath } from "./socket-path";

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Unix socket to listen on (≤ 107 bytes); its missing directories are created 0700. */
  socketPath: string;
  /** Bundle root holding `current -> bundles/<id>`. */
  bundleRoot: string;
  /** How often `current` is checked for a new target; 0 disables the poll. Default 5000. */
  pollIntervalMs?: number;
  /** Semver range of servable bundle schemas. Default `^1.0.0`. */
  supportedSchema?: string;
  /** Largest accepted request body; larger gets 413 and the connection is closed. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Overrides of the other HTTP caps and timeouts (`HTTP_LIMITS`); tests use small ones. */
  httpLimits?: Partial<HttpLimits>;
  /** Wall clock in epoch ms, for bundle expiry. Default `Date.now`. */
  now?: () => number;
  /** Run `PRAGMA quick_check` when opening a database. Default false (open + meta + schema probe). */
  integrityCheck?: boolean;
  /** Query embedding for bundles with vectors (hybrid.ts): an endpoint, its timeout. Default: the offline embedder only. */
  vectors?: QueryVectorOptions;
  /** How long {@link TlmServer.close} waits for in-flight requests before cutting them. Default 800 ms. */
  drainTimeoutMs?: number;
  logger?: Logger;
}

/** Outcome of a reload: the HTTP status and body `POST /bundle/reload` answers. */
export type ReloadOutcome =
  | { status: 200; body: ReloadResult }
  | { status: 409 | 422; body: { error: { code: string; message: string; sub_code?: string } } };

/** A running `tlm` server. */
export interface TlmServer {
  /** The absolute socket path it listens on. */
  readonly address: string;
  /** Current health, as `GET /health` answers it. */
  health(): Health;
  /** Same as `POST /bundle/reload`. */
  reload(): Promise<ReloadOutcome>;
  /** Stops accepting, drains in-flight requests, closes the database and unlinks the socket. Idempotent. */
  close(): Promise<void>;
}

type State = { kind: "none"; message: string } | Extract<LoadOutcome, { kind: "incompatible" }> | Extract<LoadOutcome, { kind: "loaded" }>;

/** The envelope warning of a bundle served past its `expires_at` (docs/protocol.md). */
export const BUNDLE_EXPIRED_WARNING = "bundle_expired";

/** SQLite result codes meaning the database file itself is damaged or gone: the query answers `incompatible_bundle`/`corrupt`. */
const DAMAGED_DB = /^SQLITE_(CORRUPT|NOTADB|IOERR|FORMAT)/;

const ROUTES: Record<string, string> = { "/health": "GET", "/metrics": "GET", "/query": "POST", "/bundle/reload": "POST" };

/**
 * Starts the reference sidecar on a Unix socket (docs/protocol.md): `GET /health`,
 * `POST /query`, `POST /bundle/reload`, `GET /metrics`. Loads
 * `<bundleRoot>/current` at start and whenever its target changes (poll) or a
 * reload is requested. Rejects with `SocketInUseError` when a live server
 * answers on the socket, `TlmError` `TLM_SOCKET_PATH_TOO_LONG` for a long path.
 * Rejects with `TlmError` `TLM_UNSAFE_DIR` when the socket directory or the
 * bundle root is owned or writable by another user (docs/SECURITY.md).
 * Installs no signal handlers: the caller decides when to {@link TlmServer.close}.
 */
export async function startServer(options: ServerOptions): Promise<TlmServer> {
  const opts = Object.freeze({ __proto__: null, ...options }) as ServerOptions;
  const log = opts.logger ?? noopLogger;
  const supported = opts.supportedSchema ?? SUPPORTED_SCHEMA;
  const limits: HttpLimits = { ...HTTP_LIMITS, ...opts.httpLimits, ...(opts.maxBodyBytes === undefined ? {} : { maxBodyBytes: opts.maxBodyBytes }) };
  const maxBody = limits.maxBodyBytes;
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollIntervalMs ?? 5000;
  const drainMs = opts.drainTimeoutMs ?? 800;
  const startedAt = Date.now();
  const metrics = new TlmMetrics();
  const queryVectors = new QueryVectors(opts.vectors);
  await assertSafeDir(resolve(opts.bundleRoot), "bundle root");
  const address = await prepareSocketPath(opts.socketPath);
  // Derive the build's schema now (in memory; bundle-db-check.ts), so a failure is logged once, here.
  try { expectedSchema(); } catch (e) { log.error({ event: "schema_probe_failed", err: (e as Error).message }, "cannot derive the expected bundle schema; every bundle will be refused"); }

  let state: State = { kind: "none", message: "no bundle installed (current is missing or dangling)" };
  let reloading = false;
  let failedTarget: string | null = null;
  let inFlight = 0;
  let closing: Promise<void> | null = null;
  let drained: (() => void) | null = null;

  const health = (): Health => {
    const base = { protocol: PROTOCOL_VERSION, supported_schema: supported, pid: process.pid, uptime_s: Math.round((Date.now() - startedAt) / 10) / 100 };
    if (state.kind === "loaded") {
      return { ...base, ready: true, compatibility: "compatible", bundle_id: state.bundleId, schema_version: state.schemaVersion,
        expires_at: state.expiresAt, expired: isExpired(state.expiresAt) };
    }
    if (state.kind === "incompatible") {
      return { ...base, ready: false, compatibility: "incompatible", bundle_id: state.bundleId, schema_version: state.schemaVersion,
        error: { code: ERROR_CODES.incompatibleBundle, sub_code: state.subCode, message: state.message } };
    }
    return { ...base, ready: false, compatibility: "unknown", bundle_id: null, schema_version: null,
      error: { code: ERROR_CODES.noBundle, message: state.message } };
  };

  const isExpired = (expiresAt: string | null): boolean => expiresAt !== null && now() >= Date.parse(expiresAt);
  // One log line per served bundle that is found expired, not one per query.
  let expiryLogged: string | null = null;

  // The vector index and word table load on a worker thread, instead of inside the first hybrid query; the typo word
  // list and the thesaurus (a few tens of ms) on the event loop a slice per turn, instead of inside the first query
  // that needs them. Not before the socket listens: the first load's warm-up delayed `listen` (64 ms after
  // the load instead of 8) and so the first health check (spawn to ready, demo bundle, 21 alternating spawns: median
  // 324 ms, 294 ms with the warm-up after `listen`).
  let listening = false;
  const pendingWarm: (() => void)[] = [];
  // Stops warm-up workers still reading when the server closes.
  const warmStop = new AbortController();
  const warmSoon = (loaded: Extract<LoadOutcome, { kind: "loaded" }>): void => {
    // Still the served bundle (a reload or close since makes its warm-up moot).
    const served = (): boolean => !closing && state.kind === "loaded" && state.db === loaded.db;
    const warm = (): void => {
      if (!served()) return;
      void loaded.db.warmTypos();
      void loaded.db.warmThesaurus();
      void queryVectors.warm(loaded.db).then((w) => {
        if (w.vectors > 0) log.debug({ event: "vectors_warm", bundle_id: loaded.bundleId, ...w }, "vector index loaded");
        // Then the lexical index's forward chunks, on a worker too (the first queries would read them on the event
        // loop): after the vectors, not beside them, so the two reads do not compete for the machine's other core.
        return served() ? loaded.db.warmLexical(warmStop.signal) : undefined;
      });
    };
    if (listening) setImmediate(warm);
    else pendingWarm.push(warm);
  };

  const doReload = async (): Promise<ReloadOutcome> => {
    const target = await resolveCurrent(opts.bundleRoot);
    if (target === null) {
      const had = state.kind !== "none";
      if (state.kind === "loaded") state.db.retire();
      state = { kind: "none", message: "no bundle installed (current is missing or dangling)" };
      failedTarget = null;
      metrics.observeReload(had ? "removed" : "unchanged");
      if (had) log.warn({ event: "bundle_removed" }, "current is gone; serving nothing");
      return { status: 200, body: { bundle_id: null, changed: had } };
    }
    if (state.kind === "loaded" && state.target === target) {
      metrics.observeReload("unchanged");
      return { status: 200, body: { bundle_id: state.bundleId, changed: false } };
    }
    const loaded = await loadBundle(target, supported, { integrityCheck: opts.integrityCheck ?? false });
    if (loaded.kind !== "loaded") {
      const next = loaded;
      failedTarget = target;
      metrics.observeReload("incompatible");
      const keeping = state.kind === "loaded";
      if (!keeping) state = next;
      const sub = next.kind === "incompatible" ? next.subCode : undefined;
      log.warn({ event: "bundle_incompatible", target, sub_code: sub, keeping_old: keeping, reason: next.message }, "bundle cannot be served");
      return { status: 422, body: { error: { code: ERROR_CODES.incompatibleBundle, message: next.message, ...(sub ? { sub_code: sub } : {}) } } };
    }
    const old = state;
    state = loaded;
    failedTarget = null;
    if (old.kind === "loaded") old.db.retire();
    warmSoon(loaded);
    metrics.observeReload("changed");
    log.info({ event: "bundle_loaded", bundle_id: loaded.bundleId, schema_version: loaded.schemaVersion, memories: loaded.db.count }, "bundle loaded");
    return { status: 200, body: { bundle_id: loaded.bundleId, changed: true } };
  };

  const reload = async (): Promise<ReloadOutcome> => {
    if (reloading) {
      metrics.observeReload("conflict");
      return { status: 409, body: { error: { code: ERROR_CODES.reloadInProgress, message: "a reload is already in progress" } } };
    }
    reloading = true;
    try {
      return await doReload();
    } finally {
      reloading = false;
    }
  };

  // Sockets whose last response closes the connection: bytes after it are not a new request.
  const closingSockets = new WeakSet<object>();
  const send = (res: ServerResponse, route: string, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    metrics.observeRequest(route, status);
    if (headers.connection === "close" && res.socket) closingSockets.add(res.socket);
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": typeof body === "string" ? "text/plain; version=0.0.4; charset=utf-8" : "application/json",
      "content-length": String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };
  const sendError = (res: ServerResponse, route: string, status: number, code: string, message: string, extra: object = {}, headers: Record<string, string> = {}): void =>
    send(res, route, status, { error: { code, message, ...extra } }, headers);

  const handleQuery = async (res: ServerResponse, body: Buffer, t0: number): Promise<void> => {
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      metrics.observeQuery(400, 0, false);
      sendError(res, "/query", 400, ERROR_CODES.badRequest, "body is not valid JSON");
      return;
    }
    const parsed = parseQueryIntent(json);
    if (!parsed.ok) {
      metrics.observeQuery(400, 0, false);
      sendError(res, "/query", 400, ERROR_CODES.badRequest, parsed.message, { issues: parsed.issues });
      return;
    }
    const current = state;
    if (current.kind !== "loaded") {
      metrics.observeQuery(503, 0, false);
      if (current.kind === "none") sendError(res, "/query", 503, ERROR_CODES.noBundle, current.message);
      else sendError(res, "/query", 503, ERROR_CODES.incompatibleBundle, current.message, { sub_code: current.subCode });
      return;
    }
    const intent = parsed.value;
    const deadline = intent.budget_ms === undefined ? Number.POSITIVE_INFINITY : t0 + intent.budget_ms;
    current.db.acquire();
    let outcome;
    try {
      // Held across the embedding wait: a reload meanwhile retires this database only after release.
      const side = queryVectors.side(current.db);
      const vec = await queryVectors.resolve(intent, side, deadline, undefined, () => current.db.correctedText(intent.text, deadline));
      outcome = hybridQuery(current.db, side, { ...intent, limit: intent.limit ?? QUERY_LIMITS.limitDefault }, vec.vector, deadline, vec.skipped, vec.coverage);
    } catch (e) {
      // A damaged page found while stepping is the bundle's fault, not the caller's: a typed answer, never a crash.
      const raw = (e as { code?: unknown } | null)?.code;
      const code = typeof raw === "string" ? raw : "";
      const damaged = DAMAGED_DB.test(code);
      metrics.observeQuery(damaged ? 503 : 500, 0, false);
      log.error({ event: damaged ? "query_db_damaged" : "query_failed", bundle_id: current.bundleId, sqlite_code: code }, "query failed");
      if (damaged) sendError(res, "/query", 503, ERROR_CODES.incompatibleBundle, `the bundle's database is damaged (${code})`, { sub_code: "corrupt" });
      else sendError(res, "/query", 500, ERROR_CODES.internal, "query failed");
      return;
    } finally {
      current.db.release();
    }
    const took = performance.now() - t0;
    metrics.observeQuery(200, took / 1000, outcome.truncated);
    const expired = isExpired(current.expiresAt);
    if (expired && expiryLogged !== current.bundleId) {
      expiryLogged = current.bundleId;
      log.warn({ event: "bundle_expired", bundle_id: current.bundleId, expires_at: current.expiresAt }, "serving a bundle past its expires_at");
    }
    const envelope: ResponseEnvelope = {
      source: "sidecar", bundle_id: current.bundleId, took_ms: Math.round(took * 1000) / 1000,
      truncated: outcome.truncated, evidence_quality: "indexed", retrieval: outcome.retrieval,
      ...(outcome.vectorSkippedReason ? { vector_skipped_reason: outcome.vectorSkippedReason } : {}),
      ...(outcome.corrections ? { corrections: outcome.corrections } : {}),
      ...(outcome.expansions ? { expansions: outcome.expansions } : {}),
      ...(expired ? { warnings: [BUNDLE_EXPIRED_WARNING] } : {}),
      results: outcome.results,
    };
    send(res, "/query", 200, envelope);
    // Content-free: never the query text or results.
    log.debug({ event: "query", took_ms: envelope.took_ms, results: envelope.results.length, truncated: envelope.truncated }, "query");
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const t0 = performance.now();
    const path = (req.url ?? "/").split("?")[0]!;
    const method = ROUTES[path];
    if (method === undefined) { req.resume(); sendError(res, "other", 404, ERROR_CODES.notFound, "no such route"); return; }
    if (req.method !== method) {
      req.resume();
      sendError(res, path, 405, ERROR_CODES.methodNotAllowed, `use ${method} ${path}`, {}, { allow: method });
      return;
    }
    if (method === "GET") {
      req.resume();
      if (path === "/health") send(res, path, 200, health());
      else {
        const h = health();
        send(res, path, 200, metrics.render({ bundleId: h.bundle_id, schemaVersion: h.schema_version, compatibility: h.compatibility,
          memories: state.kind === "loaded" ? state.db.count : 0 }, inFlight, h.uptime_s));
      }
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBody, limits.maxBodyChunks);
    } catch (e) {
      if (e instanceof BodyTooLargeError) {
        if (path === "/query") metrics.observeQuery(413, 0, false);
        // Answer, discard a bounded tail of the body so the client can read the answer, then close.
        lingerThenClose(req, limits.lingerBytes, limits.lingerMs, limits.maxBodyChunks);
        sendError(res, path, 413, ERROR_CODES.payloadTooLarge, e.reason, {}, { connection: "close" });
      } else {
        req.socket.destroy();
      }
      return;
    }
    if (path === "/query") { await handleQuery(res, body, t0); return; }
    const outcome = await reload();
    send(res, path, outcome.status, outcome.body);
  };

  const server = createServer(httpServerOptions(limits), (req, res) => {
    inFlight++;
    if (!res.shouldKeepAlive) closingSockets.add(req.socket);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight--;
      if (inFlight === 0 && drained) drained();
    };
    res.on("close", finish);
    res.on("finish", finish);
    handle(req, res).catch((e: unknown) => {
      log.error({ event: "request_failed", err: (e as Error)?.message }, "request failed");
      if (!res.headersSent) sendError(res, "error", 500, ERROR_CODES.internal, "internal error");
      else res.destroy();
    });
  });
  applyServerLimits(server, limits);
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    // Never write into a response that has started: only a socket between requests may get a raw error answer.
    const pending = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    answerClientError(err, socket, !closingSockets.has(socket) && !(pending?.headersSent ?? false));
  });
  // An `expect` other than 100-continue: a typed 417 rather than Node's bare one.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    sendError(res, "other", 417, ERROR_CODES.badRequest, "unsupported expect header", {}, { connection: "close" });
  });
  server.on("drop", () => log.warn({ event: "connection_dropped", max_connections: limits.maxConnections }, "connection cap reached; connection dropped"));

  await reload();

  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => {
      // Nothing will serve this database: close it before reporting the failure.
      if (state.kind === "loaded") state.db.retire();
      reject(e);
    });
    // The socket must never exist with a wider mode than 0600, even for an instant.
    const oldMask = process.umask(0o177);
    try {
      server.listen(address, () => { server.removeAllListeners("error"); resolve(); });
    } finally {
      process.umask(oldMask);
    }
  });
  await chmod(address, 0o600);
  server.on("error", (e) => log.error({ event: "server_error", err: e.message }, "server error"));
  log.info({ event: "listening", socket: address, bundle_root: opts.bundleRoot, ...health() }, "tlm listening");
  listening = true;
  for (const warm of pendingWarm.splice(0)) setImmediate(warm);

  const poll = pollMs > 0 ? setInterval(() => {
    if (reloading || closing) return;
    void resolveCurrent(opts.bundleRoot).then((target) => {
      const servedTarget = state.kind === "none" ? null : state.target;
      if (target === servedTarget || (target !== null && target === failedTarget) || reloading || closing) return;
      log.info({ event: "current_changed", target }, "current changed; reloading");
      return reload();
    }).catch((e: unknown) => log.error({ event: "poll_failed", err: (e as Error)?.message }, "poll failed"));
  }, pollMs) : null;
  poll?.unref();

  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (poll) clearInterval(poll);
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((r) => {
          const timer = setTimeout(r, drainMs);
          drained = () => { clearTimeout(timer); r(); };
        });
      }
      server.closeAllConnections();
      await stopped;
      if (state.kind === "loaded") state.db.retire();
      warmStop.abort();
      queryVectors.closeAll();
      await unlink(address).catch(() => undefined);
      log.info({ event: "stopped" }, "tlm stopped");
    })();
    return closing;
  };

  return { address, health, reload, close };
}
