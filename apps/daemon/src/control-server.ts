import { chmod, lstat, unlink } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DaemonError } from "./errors";
import type { Logger } from "./logging";
import type { DaemonMetrics } from "./metrics";

/** What the control socket drives: the subset of `@recall/service`'s `Service` it uses. */
export interface ControlTarget {
  snapshot(): unknown;
  pullNow(): Promise<unknown>;
  query(intent: never, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<unknown>;
}

/** Options of {@link ControlServer}. */
export interface ControlServerOptions {
  socketPath: string;
  target: ControlTarget;
  metrics: DaemonMetrics;
  logger: Logger;
  /** Reported in the `X-Recalld-Pid` header of every answer (default: this process). */
  pid?: number;
  /** Caps on what a client may send (default {@link CONTROL_LIMITS}); tests shrink them. */
  limits?: Partial<ControlLimits>;
}

/** What one client may cost the control socket (docs/SECURITY.md). */
export interface ControlLimits {
  /** Largest request body (`POST /query`); past it: 413, the connection is closed, nothing more is read. */
  maxBodyBytes: number;
  /** Largest request head (request line + headers); past it Node answers 431 and closes. */
  maxHeaderBytes: number;
  /** Time to receive the whole request head. */
  headersTimeoutMs: number;
  /** Time to receive the whole request (head + body). The answer itself may take longer (`POST /pull`). */
  requestTimeoutMs: number;
  /** Simultaneous connections; more are closed at once. */
  maxConnections: number;
  /** How often the two timeouts above are enforced. */
  timeoutCheckIntervalMs: number;
}

/** Default {@link ControlLimits}. */
export const CONTROL_LIMITS: Readonly<ControlLimits> = Object.freeze({
  maxBodyBytes: 64 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  maxConnections: 32,
  timeoutCheckIntervalMs: 1000,
});

/** Result of {@link probeControlSocket}. */
export type ControlProbe =
  | { state: "absent" }
  | { state: "stale" }
  | { state: "not_socket" }
  | { state: "live"; pid: number | null };

/** The response header carrying the serving daemon's pid. */
export const PID_HEADER = "x-recalld-pid";

/**
 * Finds out who holds a control socket path: nothing (`absent`), a socket file
 * nobody listens on (`stale`), something that is not a socket (`not_socket`),
 * or a live listener (`live`, with the daemon's pid when it answered as
 * recalld). A listener that accepts but does not answer within `timeoutMs`
 * counts as live: it is never ours to remove.
 */
export async function probeControlSocket(socketPath: string, timeoutMs = 1000): Promise<ControlProbe> {
  try {
    const st = await lstat(socketPath);
    if (!st.isSocket()) return { state: "not_socket" };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: "absent" };
    throw err;
  }
  return new Promise<ControlProbe>((resolve) => {
    const req = http.request({ socketPath, path: "/status", method: "GET", timeout: timeoutMs, agent: false }, (res) => {
      const pid = Number(res.headers[PID_HEADER]);
      res.resume();
      resolve({ state: "live", pid: Number.isInteger(pid) && pid > 0 ? pid : null });
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ state: "live", pid: null });
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED" || err.code === "ENOENT") resolve({ state: err.code === "ENOENT" ? "absent" : "stale" });
      else resolve({ state: "live", pid: null });
    });
    req.end();
  });
}

/**
 * recalld's control socket: HTTP/1.1 on a Unix socket (mode 0600) serving
 * `GET /status`, `GET /metrics`, `POST /pull` (answers `{outcome}` when the pull is done)
 * and `POST /query` (a query through the service, with its fallback).
 * `listen()` refuses with `DAEMON_ALREADY_RUNNING` when another daemon
 * answers on the path, and removes a stale socket file.
 */
export class ControlServer {
  readonly socketPath: string;
  readonly #opts: Readonly<ControlServerOptions>;
  readonly #server: http.Server;
  readonly #limits: Readonly<ControlLimits>;
  #listening = false;

  constructor(opts: ControlServerOptions) {
    this.#opts = Object.freeze({ __proto__: null, ...opts });
    this.socketPath = opts.socketPath;
    const limits = Object.freeze({ ...CONTROL_LIMITS, ...opts.limits });
    this.#limits = limits;
    const serverOptions: http.ServerOptions = {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    };
    this.#server = http.createServer(serverOptions, (req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#opts.logger.error({ err }, "control request failed");
        if (!res.headersSent) this.#json(res, 500, { error: { code: "internal", message: "internal error" } });
        else res.destroy();
      });
    });
    this.#server.keepAliveTimeout = 5000;
    this.#server.maxConnections = limits.maxConnections;
  }

  /** Binds the socket (0600). Rejects with a `DaemonError` when another daemon holds it. */
  async listen(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const probe = await probeControlSocket(this.socketPath);
      if (probe.state === "live") throw alreadyRunning(this.socketPath, probe.pid);
      if (probe.state === "not_socket") {
        throw new DaemonError("DAEMON_CONTROL_SOCKET", `control socket path ${this.socketPath} exists and is not a socket; remove it or change memory.socket_path`, { socketPath: this.socketPath });
      }
      if (probe.state === "stale") {
        this.#opts.logger.warn({ socket: this.socketPath }, "removing stale control socket");
        await unlink(this.socketPath).catch(() => undefined);
      }
      try {
        await this.#bind();
        break;
      } catch (err) {
        // Lost a race with another daemon binding the same path: probe again, once.
        if ((err as NodeJS.ErrnoException).code === "EADDRINUSE" && attempt === 0) continue;
        throw new DaemonError("DAEMON_CONTROL_SOCKET", `cannot listen on control socket ${this.socketPath}: ${(err as Error).message}`, { socketPath: this.socketPath, cause: err });
      }
    }
    this.#listening = true;
    await chmod(this.socketPath, 0o600);
  }

  /** Stops accepting, drops open connections and unlinks the socket. Idempotent. */
  async close(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    await unlink(this.socketPath).catch(() => undefined);
  }

  /** The bound address (the socket path) while listening. */
  address(): string | AddressInfo | null {
    return this.#server.address();
  }

  #bind(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.#server.once("error", onError);
      // Bind with a 0177 umask so the socket is never group/world accessible, not even before chmod.
      // (Worker threads cannot change the umask: there the 0700 directory and the chmod below protect it.)
      let previous: number | null = null;
      try {
        previous = process.umask(0o177);
      } catch {
        previous = null;
      }
      try {
        this.#server.listen(this.socketPath, () => {
          this.#server.off("error", onError);
          resolve();
        });
      } finally {
        if (previous !== null) process.umask(previous);
      }
    });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://recalld");
    const route = ROUTES[url.pathname];
    // Only POST /query reads a body; anywhere else a body is never read: the answer closes the connection.
    if (url.pathname !== "/query" || req.method !== "POST") ignoreBody(req, res);
    if (!route) {
      return this.#json(res, 404, { error: { code: "not_found", message: `no route ${url.pathname}` } });
    }
    if (req.method !== route) {
      res.setHeader("allow", route);
      return this.#json(res, 405, { error: { code: "method_not_allowed", message: `${url.pathname} accepts ${route} only` } });
    }
    switch (url.pathname) {
      case "/status":
        return this.#json(res, 200, this.#opts.target.snapshot());
      case "/metrics": {
        const text = await this.#opts.metrics.metrics();
        res.writeHead(200, { "content-type": this.#opts.metrics.contentType, [PID_HEADER]: String(this.#pid) });
        res.end(text);
        return;
      }
      case "/pull": {
        // docs/INTERFACES.md: the body wraps the pullNow() result, `{outcome: {outcome: "installed", …}}`.
        return this.#json(res, 200, { outcome: await this.#opts.target.pullNow() });
      }
      case "/query": {
        const max = this.#limits.maxBodyBytes;
        const body = await readBodyCapped(req, max);
        if (body === null) {
          // stop here: nothing more is read, and the connection goes once the answer is out
          res.setHeader("connection", "close");
          res.once("finish", () => req.socket.destroy());
          return this.#json(res, 413, { error: { code: "bad_request", message: `body larger than ${max} bytes` } });
        }
        let intent: unknown;
        try {
          intent = JSON.parse(body);
        } catch {
          return this.#json(res, 400, { error: { code: "bad_request", message: "body is not valid JSON" } });
        }
        if (typeof intent !== "object" || intent === null || Array.isArray(intent)) {
          return this.#json(res, 400, { error: { code: "bad_request", message: "body must be a JSON object (a QueryIntent)" } });
        }
        const ac = new AbortController();
        res.on("close", () => ac.abort());
        return this.#json(res, 200, await this.#opts.target.query(intent as never, { signal: ac.signal }));
      }
    }
  }

  get #pid(): number {
    return this.#opts.pid ?? process.pid;
  }

  #json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      [PID_HEADER]: String(this.#pid),
    });
    res.end(text);
  }
}

const ROUTES: Record<string, "GET" | "POST"> = { __proto__: null, "/status": "GET", "/metrics": "GET", "/pull": "POST", "/query": "POST" } as never;

/** The `DAEMON_ALREADY_RUNNING` error naming the socket and the other daemon's pid. */
export function alreadyRunning(socketPath: string, pid: number | null): DaemonError {
  const who = pid === null ? "another process" : `another recalld (pid ${pid})`;
  return new DaemonError(
    "DAEMON_ALREADY_RUNNING",
    `${who} is already serving the control socket ${socketPath}; stop it first (or use another memory.socket_path)`,
    { socketPath, pid },
  );
}

/** True when the request carries a body (a length above 0, or chunked). */
function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers["content-length"];
  return (len !== undefined && len !== "0") || req.headers["transfer-encoding"] !== undefined;
}

/** For a request whose body is not wanted: the answer closes the connection instead of draining an unbounded body. */
function ignoreBody(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (!hasBody(req)) return;
  res.setHeader("connection", "close");
  res.once("finish", () => req.socket.destroy());
}

/**
 * Reads a body of at most `max` bytes; null as soon as it is known to be
 * larger (a Content-Length above `max`, or the byte past it), reading
 * nothing further.
 */
export function readBodyCapped(req: http.IncomingMessage, max: number): Promise<string | null> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.off("data", onData);
        req.off("end", onEnd);
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => resolve(Buffer.concat(chunks).toString("utf8"));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", reject);
  });
}
