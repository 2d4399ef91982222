import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { lstat, mkdir, readFile, readdir, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { makeTempDir, removeTree, startBundleEndpoint, type BundleEndpoint } from "@recall/test-utils";
import { generateKeyPair, pack, signManifest, type Manifest } from "@recall/bundle";
import type { AuditSink, Logger } from "../src/index";

/** A private temp directory (test-utils `makeTempDir`); remove it with `removeTree`. */
export async function tempDir(prefix = "puller-"): Promise<string> {
  return (await makeTempDir(prefix)).path;
}

export { removeTree };

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

/**
 * The workspace bundle endpoint (@recall/test-utils `startBundleEndpoint`)
 * serving `published` from memory: `serve(next)` switches bundles (null: 404s),
 * `faults` injects statuses, redirects and slow/cut/held archive bodies,
 * `files` serves archives at other paths, `requests` records every request.
 */
export type Endpoint = BundleEndpoint;

/** Starts the test endpoint serving `published` (null: 404s until `serve`). */
export async function startEndpoint(published: Published | null = null): Promise<Endpoint> {
  return startBundleEndpoint({ bundle: published });
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
