import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, join } from "node:path";

/** The path prefix of the bundle endpoint (docs/endpoint.md). */
export const BUNDLE_PREFIX = "/api/v1/memory/bundle/";

/** One request the endpoint answered. */
export interface EndpointRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** The raw request URL (path and query). */
  url: string;
  headers: IncomingHttpHeaders;
  /** True when no key is required or `x-api-key` matched. */
  keyOk: boolean;
  /** The status answered (200 for an archive even if the body is then cut). */
  status: number;
}

/**
 * How the archive body is sent:
 * - `normal`: all at once;
 * - `trickle`: `trickleBytesPerSec` bytes a second, in 20 slices a second (below
 *   20 bytes a second: one byte every `1000 / trickleBytesPerSec` ms);
 * - `truncate`: half the body under the full `content-length`, then the socket is destroyed;
 * - `pause`: half the body, then nothing (the response never ends); `onPause` is called once.
 */
export type ArchiveMode = "normal" | "trickle" | "truncate" | "pause";

/** Faults to inject; mutate between requests. */
export interface EndpointFaults {
  /** When set, the manifest is answered with this status (and an empty JSON body). */
  manifestStatus: number | null;
  /** When set, an existing archive is answered with this status. */
  archiveStatus: number | null;
  /** When set, an existing archive is answered `302` to this URL. */
  redirectArchiveTo: string | null;
  /** Whether the manifest carries an `ETag` (and a 304 repeats it). */
  sendEtag: boolean;
  archiveMode: ArchiveMode;
  /** Bytes a second in `trickle` mode. */
  trickleBytesPerSec: number;
  /** Called once when the archive is half sent in `pause` mode. */
  onPause: (() => void) | null;
}

/**
 * A bundle served from memory instead of a publish dir: the manifest bytes as
 * they are (edited or hostile ones too) and one archive under its base name.
 */
export interface ServedBundle {
  manifestBytes: Buffer;
  archiveName: string;
  archive: Buffer;
}

/** What the endpoint serves: a publish dir, a {@link ServedBundle}, or nothing (404s). */
export type EndpointSource = string | ServedBundle | null;

export interface BundleEndpointOptions {
  /** The publish dir served (`manifest.json` and the archive next to it); null serves 404s until {@link BundleEndpoint.serve}. */
  dir?: string | null;
  /** A bundle served from memory (instead of `dir`). */
  bundle?: ServedBundle | null;
  /** When set, every request without this `x-api-key` is answered 401. */
  apiKey?: string;
}

/**
 * A bundle endpoint (docs/endpoint.md) on a real node:http server on 127.0.0.1,
 * serving a publish dir the way a static host does: the manifest with a strong
 * ETag (sha256 of its bytes) and 304 on `If-None-Match`, archives by base name,
 * 404 for anything missing or any other path or method, 401 without the API key
 * (when one is set), and injectable faults ({@link EndpointFaults}).
 */
export interface BundleEndpoint {
  /** `http://127.0.0.1:<port>` (the endpoint base URL a puller is given). */
  readonly url: string;
  readonly port: number;
  /** Every request, in order. */
  readonly requests: EndpointRequest[];
  /** Faults; mutate freely. */
  readonly faults: EndpointFaults;
  /**
   * Bodies answered 200 at an exact request path (any path, e.g. `/cdn/b1.tar.gz`
   * for an archive on "another origin"), checked first, with the archive faults.
   */
  readonly files: Map<string, Buffer>;
  /** The publish dir served now (null when serving a bundle from memory or nothing). */
  readonly dir: string | null;
  /** The bundle served from memory now (null when serving a dir or nothing). */
  readonly bundle: ServedBundle | null;
  /** Serves another publish dir, in-memory bundle, or nothing (null) from the next request on. */
  serve(source: EndpointSource): void;
  /**
   * Publishes `publishDir` into the served dir like an upload to a static host:
   * the archive first, the manifest last, each atomically renamed into place.
   * The served dir is created when missing; throws when none is set.
   */
  publish(publishDir: string): void;
  /** The manifest requests so far. */
  manifestRequests(): EndpointRequest[];
  /** The ETag the manifest served now gets (null when there is none). */
  currentEtag(): string | null;
  /** Stops the server, cutting open responses and trickle timers. */
  close(): Promise<void>;
}

/** The ETag of manifest bytes: the quoted sha256 hex. */
export function manifestEtag(bytes: Buffer): string {
  return `"${createHash("sha256").update(bytes).digest("hex")}"`;
}

function readIfFile(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/**
 * Copies the bundle in `publishDir` into `intoDir` like an upload to a static
 * host: the archive first, the manifest last, each written to a hidden temp
 * name and atomically renamed into place. `intoDir` is created when missing.
 */
export function publishBundle(publishDir: string, intoDir: string): void {
  if (!existsSync(intoDir)) mkdirSync(intoDir, { recursive: true });
  const manifest = readFileSync(join(publishDir, "manifest.json"));
  const archive = basename((JSON.parse(manifest.toString("utf8")) as { archive: { path: string } }).archive.path);
  const put = (name: string, data: Buffer) => {
    const tmp = join(intoDir, `.${name}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(intoDir, name));
  };
  put(archive, readFileSync(join(publishDir, archive)));
  put("manifest.json", manifest);
}

/** Starts a {@link BundleEndpoint}. */
export async function startBundleEndpoint(opts: BundleEndpointOptions = {}): Promise<BundleEndpoint> {
  let source: EndpointSource = opts.bundle ?? opts.dir ?? null;
  const dirOf = () => (typeof source === "string" ? source : null);
  const bundleOf = () => (source !== null && typeof source !== "string" ? source : null);
  const manifestBytes = (): Buffer | null => {
    if (source === null) return null;
    return typeof source === "string" ? readIfFile(join(source, "manifest.json")) : source.manifestBytes;
  };
  const archiveBytes = (name: string): Buffer | null => {
    if (source === null) return null;
    if (typeof source === "string") return readIfFile(join(source, name));
    return name === source.archiveName ? source.archive : null;
  };
  const files = new Map<string, Buffer>();
  const requests: EndpointRequest[] = [];
  const faults: EndpointFaults = {
    manifestStatus: null,
    archiveStatus: null,
    redirectArchiveTo: null,
    sendEtag: true,
    archiveMode: "normal",
    trickleBytesPerSec: 64 * 1024,
    onPause: null,
  };
  const timers = new Set<NodeJS.Timeout>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? "/";
    const path = url.split("?")[0] ?? "/";
    const keyOk = opts.apiKey === undefined || req.headers["x-api-key"] === opts.apiKey;
    const record = (status: number) => requests.push({ method: req.method ?? "", path, url, headers: req.headers, keyOk, status });
    const reply = (status: number, headers: Record<string, string | number> = {}, body?: Buffer | string) => {
      record(status);
      res.writeHead(status, headers).end(body);
    };
    if (!keyOk) return reply(401);
    if (req.method !== "GET") return reply(404);
    const file = files.get(path);
    if (file) return sendArchive(file);
    if (!path.startsWith(BUNDLE_PREFIX)) return reply(404);
    const name = path.slice(BUNDLE_PREFIX.length);
    if (name === "manifest") {
      if (faults.manifestStatus !== null) return reply(faults.manifestStatus, { "content-type": "application/json" }, "{}");
      const body = manifestBytes();
      if (!body) return reply(404);
      const etag = manifestEtag(body);
      const tag: Record<string, string> = faults.sendEtag ? { etag } : {};
      if (req.headers["if-none-match"] === etag) return reply(304, tag);
      return reply(200, { "content-type": "application/json", "content-length": body.length, ...tag }, body);
    }
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith(".") || name === "manifest.json") return reply(404);
    const body = archiveBytes(name);
    if (!body) return reply(404);
    return sendArchive(body);

    function sendArchive(body: Buffer): void {
      if (faults.redirectArchiveTo !== null) return reply(302, { location: faults.redirectArchiveTo });
      if (faults.archiveStatus !== null) return reply(faults.archiveStatus);
      record(200);
      res.writeHead(200, { "content-type": "application/gzip", "content-length": body.length });
      const half = body.subarray(0, Math.floor(body.length / 2));
      switch (faults.archiveMode) {
        case "normal":
          res.end(body);
          return;
        case "truncate":
          res.write(half, () => res.destroy());
          return;
        case "pause": {
          res.write(half);
          const onPause = faults.onPause;
          faults.onPause = null;
          onPause?.();
          return; // never ends; close() cuts it
        }
        case "trickle": {
          const rate = Math.max(1, faults.trickleBytesPerSec);
          const slice = Math.max(1, Math.floor(rate / 20));
          const every = rate >= 20 ? 50 : Math.round(1000 / rate);
          let off = 0;
          const timer = setInterval(() => {
            if (res.destroyed) return stop();
            res.write(body.subarray(off, off + slice));
            off += slice;
            if (off >= body.length) {
              stop();
              res.end();
            }
          }, every);
          const stop = () => {
            clearInterval(timer);
            timers.delete(timer);
          };
          timers.add(timer);
          res.on("close", stop);
          return;
        }
      }
    }
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    faults,
    files,
    get dir() {
      return dirOf();
    },
    get bundle() {
      return bundleOf();
    },
    serve(next) {
      source = next;
    },
    publish(publishDir) {
      const dir = dirOf();
      if (dir === null) throw new Error("publish: the endpoint serves no directory (start it with dir or call serve first)");
      publishBundle(publishDir, dir);
    },
    manifestRequests: () => requests.filter((r) => r.path === `${BUNDLE_PREFIX}manifest`),
    currentEtag() {
      const body = manifestBytes();
      return body ? manifestEtag(body) : null;
    },
    async close() {
      for (const t of timers) clearInterval(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
