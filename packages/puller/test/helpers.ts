import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { generateKeyPair, pack, signManifest, type Manifest } from "@recall/bundle";
import type { AuditSink, Logger } from "../src/index";

/** A temp directory removed by `cleanup()`. */
export async function tempDir(prefix = "puller-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A publish dir made by @recall/bundle `pack` from `files`. */
export interface Published {
  dir: string;
  manifest: Manifest;
  manifestBytes: Buffer;
  archive: Buffer;
  archiveName: string;
}

/** Makes a real bundle: writes `files` to a source dir, packs it into a publish dir. */
export async function makeBundle(
  base: string,
  id: string,
  opts: {
    files?: Record<string, string | Buffer>;
    signKeyPem?: string;
    expiresAt?: string;
    tenant?: string;
    schemaVersion?: string;
  } = {},
): Promise<Published> {
  const src = join(base, `src-${id}`);
  const out = join(base, `pub-${id}`);
  const files = opts.files ?? { "memories.db": `db of ${id}\n`, "sub/notes.txt": `notes ${id}\n` };
  for (const [p, c] of Object.entries(files)) {
    await mkdir(join(src, p, ".."), { recursive: true });
    await writeFile(join(src, p), c);
  }
  const r = await pack(src, {
    outDir: out,
    bundleId: id,
    schemaVersion: opts.schemaVersion ?? "1.0.0",
    ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}),
    ...(opts.tenant ? { tenant: opts.tenant } : {}),
    ...(opts.signKeyPem ? { signKeyPem: opts.signKeyPem } : {}),
  });
  return {
    dir: out,
    manifest: r.manifest,
    manifestBytes: await readFile(r.manifestPath),
    archive: await readFile(r.archivePath),
    archiveName: r.manifest.archive.path,
  };
}

/** Rewrites a published manifest (then re-signs with `signKeyPem` when given). */
export function editManifest(p: Published, edit: (m: Manifest) => Manifest, signKeyPem?: string): Published {
  let m = edit(structuredClone(p.manifest));
  if (signKeyPem) m = signManifest({ ...m, signatures: [] }, signKeyPem);
  return { ...p, manifest: m, manifestBytes: Buffer.from(JSON.stringify(m)) };
}

/** A ustar header + data block for a hostile tarball. */
function tarEntry(name: string, body: Buffer, type: "0" | "2" | "5" = "0", linkname = ""): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  h.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
  h.write("00000000000\0", 136);
  h.write("        ", 148);
  h.write(type, 156);
  h.write(linkname, 157, 100, "utf8");
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}

/** A gzip tarball with arbitrary (hostile) entries. */
export function hostileTarball(entries: { name: string; body?: string; type?: "0" | "2" | "5"; linkname?: string }[]): Buffer {
  const parts = entries.map((e) => tarEntry(e.name, Buffer.from(e.body ?? ""), e.type ?? "0", e.linkname ?? ""));
  return gzipSync(Buffer.concat([...parts, Buffer.alloc(1024)]));
}

/** Replaces a bundle's archive, fixing the manifest's archive size + hash (so only the content is hostile). */
export function withArchive(p: Published, archive: Buffer, signKeyPem?: string): Published {
  const q = editManifest(
    p,
    (m) => ({ ...m, archive: { ...m.archive, size: archive.length, sha256: sha256(archive) } }),
    signKeyPem,
  );
  return { ...q, archive };
}

/** Lowercase hex sha256. */
export function sha256(b: Buffer | string): string {
  return createHash("sha256").update(b).digest("hex");
}

/** How the test endpoint serves the archive. */
export type ArchiveMode = "normal" | "trickle" | "drop" | "pause" | "status";

/** A request the endpoint saw. */
export interface SeenRequest {
  path: string;
  headers: IncomingMessage["headers"];
}

/** A real node:http endpoint on 127.0.0.1 (docs/endpoint.md paths). Mutate `state` between ticks. */
export interface Endpoint {
  url: string;
  port: number;
  seen: SeenRequest[];
  state: {
    published: Published | null;
    manifestStatus: number | null;
    archiveStatus: number | null;
    sendEtag: boolean;
    archiveMode: ArchiveMode;
    extraArchives: Map<string, Buffer>;
    /** When set, the archive request is answered 302 to this URL. */
    redirectArchiveTo: string | null;
    /** Called (once) when the archive is half sent in "pause" mode. */
    onPause: (() => void) | null;
  };
  close(): Promise<void>;
}

/** Starts a test endpoint. */
export async function startEndpoint(published: Published | null = null): Promise<Endpoint> {
  const seen: SeenRequest[] = [];
  const state: Endpoint["state"] = {
    published,
    manifestStatus: null,
    archiveStatus: null,
    sendEtag: true,
    archiveMode: "normal",
    extraArchives: new Map(),
    redirectArchiveTo: null,
    onPause: null,
  };
  const timers = new Set<NodeJS.Timeout>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    seen.push({ path, headers: req.headers });
    const prefix = "/api/v1/memory/bundle/";
    if (path === `${prefix}manifest`) {
      if (state.manifestStatus !== null) {
        res.writeHead(state.manifestStatus).end("{}");
        return;
      }
      const p = state.published;
      if (!p) return void res.writeHead(404).end();
      const etag = `"${sha256(p.manifestBytes).slice(0, 16)}"`;
      if (req.headers["if-none-match"] === etag) {
        res.writeHead(304, state.sendEtag ? { etag } : {}).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json", ...(state.sendEtag ? { etag } : {}) }).end(p.manifestBytes);
      return;
    }
    const name = path.slice(path.lastIndexOf("/") + 1);
    const body =
      state.extraArchives.get(name) ??
      (state.published && path === `${prefix}${state.published.archiveName}` ? state.published.archive : null);
    if (!body) return void res.writeHead(404).end();
    if (state.redirectArchiveTo !== null) return void res.writeHead(302, { location: state.redirectArchiveTo }).end();
    if (state.archiveStatus !== null) return void res.writeHead(state.archiveStatus).end();
    res.writeHead(200, { "content-type": "application/gzip", "content-length": String(body.length) });
    if (state.archiveMode === "normal") return void res.end(body);
    if (state.archiveMode === "drop") {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    if (state.archiveMode === "pause") {
      res.write(body.subarray(0, Math.floor(body.length / 2)));
      state.onPause?.();
      state.onPause = null;
      return; // never finishes
    }
    // trickle: one byte per 100 ms
    let i = 0;
    const t = setInterval(() => {
      if (i >= body.length || res.destroyed) {
        clearInterval(t);
        timers.delete(t);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(body.subarray(i, i + 1));
      i++;
    }, 100);
    timers.add(t);
  };
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    state,
    async close() {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Captures every log line and audit event (to scan for secrets). */
export function capture(): { logger: Logger; audit: AuditSink; lines: string[]; events: { event: string; fields: Record<string, unknown> }[] } {
  const lines: string[] = [];
  const events: { event: string; fields: Record<string, unknown> }[] = [];
  const log = (level: string) => (obj: object, msg?: string) => lines.push(JSON.stringify({ level, ...obj, msg }));
  return {
    lines,
    events,
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    audit: { log: (event, fields) => events.push({ event, fields: structuredClone(fields) }) },
  };
}

/** A snapshot of a directory tree: path → "dir" | "link:<target>" | "file:<sha256>". */
export async function hashTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(rel: string): Promise<void> {
    const abs = join(root, rel);
    const st = await lstat(abs);
    if (st.isSymbolicLink()) out[rel] = `link:${await readlink(abs)}`;
    else if (st.isDirectory()) {
      out[rel || "."] = "dir";
      for (const n of (await readdir(abs)).sort()) await walk(rel ? `${rel}/${n}` : n);
    } else out[rel] = `file:${sha256(await readFile(abs))}`;
  }
  await walk("");
  return out;
}

/** The installed `current` tree only (bundles/<current id> content). */
export async function currentTree(root: string): Promise<Record<string, string> | null> {
  try {
    const target = await readlink(join(root, "current"));
    return { target, ...(await hashTree(join(root, target))) };
  } catch {
    return null;
  }
}

/** Verifies that `current` is whole: every file of its manifest exists with the listed hash. */
export async function verifyCurrentWhole(root: string): Promise<string | null> {
  let target: string;
  try {
    target = await readlink(join(root, "current"));
  } catch {
    return null;
  }
  const dir = join(root, target);
  const m = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as Manifest;
  for (const f of m.files) {
    const data = await readFile(join(dir, f.path));
    if (data.length !== f.size || sha256(data) !== f.sha256) throw new Error(`file ${f.path} of ${m.bundle_id} is not whole`);
  }
  if (target !== `bundles/${m.bundle_id}`) throw new Error(`current ${target} holds manifest ${m.bundle_id}`);
  return m.bundle_id;
}

/** A signing key pair for tests. */
export function keys(): ReturnType<typeof generateKeyPair> {
  return generateKeyPair();
}

/** Removes a directory tree, ignoring errors. */
export async function removeTree(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true });
}

/** A stand-in sidecar on a Unix socket: answers `POST /bundle/reload` with scripted statuses. */
export async function startFakeSidecar(dir: string, statuses: number[]): Promise<{ socketPath: string; reloads: number[]; close(): Promise<void> }> {
  const socketPath = join(dir, "s.sock");
  const reloads: number[] = [];
  const server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/bundle/reload") {
      const status = statuses.shift() ?? 200;
      reloads.push(status);
      res.setHeader("content-type", "application/json");
      if (status === 200) return void res.writeHead(200).end(JSON.stringify({ bundle_id: "x", changed: true }));
      if (status === 409) {
        return void res.writeHead(409).end(JSON.stringify({ error: { code: "reload_in_progress", message: "busy" } }));
      }
      return void res.writeHead(status).end(JSON.stringify({ error: { code: "internal", message: "boom" } }));
    }
    res.writeHead(404).end(JSON.stringify({ error: { code: "not_found", message: "nope" } }));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    reloads,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
