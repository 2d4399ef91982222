import { createHash, timingSafeEqual } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";

/** Path prefix of the bundle endpoint (docs/protocol.md). */
export const BUNDLE_API_PREFIX = "/api/v1/memory/bundle/";

/** One served request, for the access log. Never holds the API key. */
export interface AccessLogEntry {
  at: string;
  remote: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  ms: number;
}

/** Options of {@link startBundleServer}. */
export interface BundleServerOptions {
  /** Publish directory: `manifest.json` plus the archive(s). Re-read on every request. */
  dir: string;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** When set, every request needs `X-API-Key` equal to it (compared in constant time). */
  apiKey?: string;
  /** Called after each response. */
  onRequest?: (entry: AccessLogEntry) => void;
}

/** A running bundle endpoint. */
export interface BundleServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:8787` (the endpoint to configure as `memory.endpoint`). */
  readonly url: string;
  /** Stops accepting, lets in-flight responses finish for `graceMs`, then cuts them. Idempotent. */
  close(graceMs?: number): Promise<void>;
}

const ARCHIVE_NAME_RE = /^[0-9A-Za-z][0-9A-Za-z._-]{0,200}\.(tar\.gz|tgz)$/;

/** The strong ETag of a manifest: its sha256, quoted. */
export function manifestEtag(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("hex")}"`;
}

/** RFC 9110 If-None-Match (weak comparison): `*` or any listed tag equal to `etag`. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => strip(t) === strip(etag));
}

function keyMatches(given: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof given !== "string") return false;
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const a = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, expected);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headOnly: boolean, extra: Record<string, string> = {}): number {
  const buf = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": String(buf.length), ...extra });
  res.end(headOnly ? undefined : buf);
  return headOnly ? 0 : buf.length;
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

async function readManifest(dir: string): Promise<Buffer | null> {
  try {
    return await readFile(join(dir, "manifest.json"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function archivePathOf(manifest: Buffer): string | null {
  try {
    const m = JSON.parse(manifest.toString("utf8")) as { archive?: { path?: unknown } };
    return typeof m.archive?.path === "string" ? m.archive.path : null;
  } catch {
    return null;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: BundleServerOptions, keyHash: Buffer | null): Promise<number> {
  const method = req.method ?? "GET";
  const headOnly = method === "HEAD";
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  } catch {
    return sendJson(res, 400, errorBody("bad_request", "malformed URL"), headOnly);
  }
  if (!path.startsWith(BUNDLE_API_PREFIX)) return sendJson(res, 404, errorBody("not_found", "not a bundle endpoint path"), headOnly);
  if (method !== "GET" && method !== "HEAD") {
    return sendJson(res, 405, errorBody("method_not_allowed", "use GET or HEAD"), headOnly, { allow: "GET, HEAD" });
  }
  if (keyHash && !keyMatches(req.headers["x-api-key"], keyHash)) {
    return sendJson(res, 401, errorBody("unauthorized", "missing or wrong X-API-Key"), headOnly);
  }
  const name = path.slice(BUNDLE_API_PREFIX.length);
  const manifest = await readManifest(opts.dir);
  if (name === "manifest") {
    if (!manifest) return sendJson(res, 404, errorBody("not_found", "no bundle published yet"), headOnly);
    const etag = manifestEtag(manifest);
    const common = { etag, "cache-control": "no-cache" };
    if (etagMatches(req.headers["if-none-match"], etag)) {
      res.writeHead(304, common);
      res.end();
      return 0;
    }
    res.writeHead(200, { ...common, "content-type": "application/json", "content-length": String(manifest.length) });
    res.end(headOnly ? undefined : manifest);
    return headOnly ? 0 : manifest.length;
  }
  // The current manifest's archive, or an older archive still in DIR (a pull in flight
  // while a new bundle is published); never anything else that happens to sit in DIR.
  const current = manifest ? archivePathOf(manifest) : null;
  if (name !== current && !ARCHIVE_NAME_RE.test(name)) return sendJson(res, 404, errorBody("not_found", "no such archive"), headOnly);
  if (name.includes("\0") || name.includes("\\") || name.split("/").some((s) => s === ".." || s === "." || s === "")) {
    return sendJson(res, 404, errorBody("not_found", "no such archive"), headOnly);
  }
  let fh;
  try {
    fh = await open(join(opts.dir, name), "r");
  } catch {
    return sendJson(res, 404, errorBody("not_found", "no such archive"), headOnly);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return sendJson(res, 404, errorBody("not_found", "no such archive"), headOnly);
    res.writeHead(200, { "content-type": "application/gzip", "content-length": String(st.size), "cache-control": "no-cache" });
    if (headOnly) {
      res.end();
      return 0;
    }
    const stream = fh.createReadStream({ start: 0, end: Math.max(0, st.size - 1), autoClose: false });
    if (st.size === 0) stream.destroy();
    await new Promise<void>((resolve) => {
      if (st.size === 0) {
        res.end();
        resolve();
        return;
      }
      stream.on("error", () => {
        res.destroy();
        resolve();
      });
      res.on("close", () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(res);
    });
    return st.size;
  } finally {
    await fh.close().catch(() => {});
  }
}

/**
 * Starts a static bundle endpoint over `dir` (docs/protocol.md): the manifest with a
 * strong sha256 ETag and 304 on If-None-Match, 404 while nothing is published,
 * the archive streamed with Content-Length, an optional required X-API-Key
 * (401). Rejects when the address cannot be bound.
 */
export async function startBundleServer(opts: BundleServerOptions): Promise<BundleServer> {
  const o = Object.freeze({ ...opts });
  const host = o.host ?? "127.0.0.1";
  const keyHash = o.apiKey ? createHash("sha256").update(o.apiKey).digest() : null;
  const server = createServer((req, res) => {
    const t0 = performance.now();
    handle(req, res, o, keyHash)
      .catch(() => (res.headersSent ? (res.destroy(), 0) : sendJson(res, 500, errorBody("internal", "could not read the publish directory"), false)))
      .then((bytes) => {
        o.onRequest?.({
          at: new Date().toISOString(),
          remote: req.socket.remoteAddress ?? "-",
          method: req.method ?? "-",
          path: (req.url ?? "/").split("?")[0]!,
          status: res.statusCode,
          bytes,
          ms: Math.round((performance.now() - t0) * 10) / 10,
        });
      })
      // A throwing access-log callback (or a failed error reply) must not become an unhandled
      // rejection: Node ends the process on those, and this is a long-running server.
      .catch(() => {
        if (!res.writableFinished) res.destroy();
      });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    server,
    host,
    port,
    url: `http://${urlHost}:${port}`,
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
