import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/** One request seen by the {@link BundleServer}. */
export interface SeenRequest { path: string; keyOk: boolean; status: number }

/**
 * A minimal docs/endpoint.md endpoint on 127.0.0.1: the manifest (with ETag and 304)
 * and the archive of the publish dir in `publishDir`, behind an API key.
 */
export class BundleServer {
  publishDir: string;
  readonly seen: SeenRequest[] = [];
  readonly #apiKey: string;
  readonly #server: http.Server;

  constructor(publishDir: string, apiKey: string) {
    this.publishDir = publishDir;
    this.#apiKey = apiKey;
    this.#server = http.createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", () => r()));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }

  /** Manifest requests seen so far. */
  manifestRequests(): SeenRequest[] {
    return this.seen.filter((s) => s.path.endsWith("/manifest"));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const keyOk = req.headers["x-api-key"] === this.#apiKey;
    const reply = (status: number, headers: Record<string, string> = {}, body?: Buffer | string) => {
      this.seen.push({ path, keyOk, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    if (!keyOk) return reply(401);
    const prefix = "/api/v1/memory/bundle/";
    if (!path.startsWith(prefix)) return reply(404);
    const name = path.slice(prefix.length);
    if (name === "manifest") {
      const body = await readFile(join(this.publishDir, "manifest.json"));
      const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`;
      if (req.headers["if-none-match"] === etag) return reply(304, { etag });
      return reply(200, { etag, "content-type": "application/json" }, body);
    }
    if (!/^[A-Za-z0-9._-]+$/.test(name)) return reply(404);
    const file = join(this.publishDir, name);
    this.seen.push({ path, keyOk, status: 200 });
    res.writeHead(200, { "content-type": "application/gzip" });
    createReadStream(file).on("error", () => res.destroy()).pipe(res);
  }
}
