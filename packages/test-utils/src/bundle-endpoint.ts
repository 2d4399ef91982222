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
 * - `trickle`: `trickleBytesPerSec` bytes a second in 20 slices a second;
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

export interface BundleEndpointOptions {
  /** The publish dir served (`manifest.json` and the archive next to it); null serves 404s until {@link BundleEndpoint.serve}. */
  dir?: string | null;
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
  /** The publish dir served now. */
  readonly dir: string | null;
  /** Serves another publish dir from the next request on. */
  serve(dir: string | null): void;
  /**
   * Publishes `publishDir` into the served dir like an upload to a static host:
   * the archive first, the manifest last, each atomically renamed into place.
   * The served dir is created when missing; throws when none is set.
   */
  publish(publishDir: string): void;
  /** The manifest requests so far. */
  manifestRequests(): EndpointRequest[];
  /** The ETag the manifest in the served dir gets now (null when there is none). */
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

/** Starts a {@link BundleEndpoint}. */
export async function startBundleEndpoint(opts: BundleEndpointOptions = {}): Promise<BundleEndpoint> {
  let dir: string | null = opts.dir ?? null;
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
    if (req.method !== "GET" || !path.startsWith(BUNDLE_PREFIX)) return reply(404);
    const name = path.slice(BUNDLE_PREFIX.length);
    if (name === "manifest") {
      if (faults.manifestStatus !== null) return reply(faults.manifestStatus, { "content-type": "application/json" }, "{}");
      const body = dir === null ? null : readIfFile(join(dir, "manifest.json"));
      if (!body) return reply(404);
      const etag = manifestEtag(body);
      const tag: Record<string, string> = faults.sendEtag ? { etag } : {};
      if (req.headers["if-none-match"] === etag) return reply(304, tag);
      return reply(200, { "content-type": "application/json", "content-length": body.length, ...tag }, body);
    }
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith(".") || name === "manifest.json") return reply(404);
    const body = dir === null ? null : readIfFile(join(dir, name));
    if (!body) return reply(404);
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
        const slice = Math.max(1, Math.floor(faults.trickleBytesPerSec / 20));
        let off = 0;
        const timer = setInterval(() => {
          if (res.destroyed) return stop();
          res.write(body.subarray(off, off + slice));
          off += slice;
          if (off >= body.length) {
            stop();
            res.end();
          }
        }, 50);
        const stop = () => {
          clearInterval(timer);
          timers.delete(timer);
        };
        timers.add(timer);
        res.on("close", stop);
        return;
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
    get dir() {
      return dir;
    },
    serve(next) {
      dir = next;
    },
    publish(publishDir) {
      if (dir === null) throw new Error("publish: the endpoint serves no directory (start it with dir or call serve first)");
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
      const manifest = readFileSync(join(publishDir, "manifest.json"));
      const archive = basename((JSON.parse(manifest.toString("utf8")) as { archive: { path: string } }).archive.path);
      const put = (name: string, data: Buffer) => {
        const tmp = join(dir!, `.${name}.tmp`);
        writeFileSync(tmp, data);
        renameSync(tmp, join(dir!, name));
      };
      put(archive, readFileSync(join(publishDir, archive)));
      put("manifest.json", manifest);
    },
    manifestRequests: () => requests.filter((r) => r.path === `${BUNDLE_PREFIX}manifest`),
    currentEtag() {
      const body = dir === null ? null : readIfFile(join(dir, "manifest.json"));
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
