import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { lstat, mkdir, open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, constants as zlibConstants } from "node:zlib";
import semver from "semver";
import { writeFileAtomic } from "@recall/safe-fs";
import { BundleError } from "./errors";
import { BUNDLE_ID_RE, MANIFEST_FORMAT, parseManifest, type Manifest, type ManifestFile } from "./manifest";
import { ancestorsOf, checkEntryPath } from "./path-rules";
import { signManifest } from "./signing";
import { endOfArchive, entryHeader, padding } from "./tar-format";

// A file swapped for a symlink between listing and reading must not be followed.
const READ_NOFOLLOW = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0);

/** Options of {@link pack}. */
export interface PackOptions {
  /** Publish directory to write `manifest.json` and the archive into (created if missing). */
  outDir: string;
  /** The bundle id (see `BUNDLE_ID_RE`). */
  bundleId: string;
  /** Semver version of the bundle's data schema. */
  schemaVersion: string;
  /** Optional expiry. */
  expiresAt?: Date | string;
  /** Optional tenant the bundle is published for. */
  tenant?: string;
  /** The embedder that made the memory vectors inside the bundle, if any. */
  embedder?: { id: string; dims: number };
  /** PKCS#8 PEM Ed25519 private key; the manifest is signed when given. */
  signKeyPem?: string;
  /** `created_at`; defaults to now. Fix it for reproducible manifests. */
  createdAt?: Date | string;
}

/** Result of {@link pack}. */
export interface PackResult {
  manifest: Manifest;
  manifestPath: string;
  archivePath: string;
}

/** Archive file name in a publish directory. */
export function archiveFileName(bundleId: string): string {
  return `bundle-${bundleId}.tar.gz`;
}

interface PackEntry {
  path: string;
  kind: "file" | "dir";
  abs: string;
  size: number;
}

function inputError(message: string, cause?: unknown): BundleError {
  return new BundleError("BUNDLE_PACK_INPUT", message, cause === undefined ? undefined : { cause });
}

function isoOf(d: Date | string, what: string): string {
  const t = typeof d === "string" ? Date.parse(d) : d.getTime();
  if (!Number.isFinite(t)) throw inputError(`${what} is not a valid date`);
  return new Date(t).toISOString().replace(/\.000Z$/, "Z");
}

/** Lists regular files under `root` (relative POSIX paths); anything else is an error. */
async function listFiles(root: string, skip: string): Promise<PackEntry[]> {
  const out: PackEntry[] = [];
  async function walk(dirAbs: string, dirRel: string): Promise<void> {
    const names = (await readdir(dirAbs)).sort();
    for (const name of names) {
      const abs = join(dirAbs, name);
      if (abs === skip) continue;
      const rel = dirRel === "" ? name : `${dirRel}/${name}`;
      const st = await lstat(abs);
      if (st.isDirectory()) {
        await walk(abs, rel);
      } else if (st.isFile()) {
        const problem = checkEntryPath(rel);
        if (problem) throw inputError(`cannot pack ${JSON.stringify(rel)}: ${problem}`);
        out.push({ path: rel, kind: "file", abs, size: st.size });
      } else {
        throw inputError(`cannot pack ${JSON.stringify(rel)}: only regular files and directories are allowed`);
      }
    }
  }
  await walk(root, "");
  return out;
}

/** Sort key: the entry name as written in the tar (directories end in `/`), bytewise. */
function sortKey(e: PackEntry): Buffer {
  return Buffer.from(e.kind === "dir" ? `${e.path}/` : e.path, "utf8");
}

/**
 * Packs every regular file under `srcDir` into a publish directory:
 * `bundle-<id>.tar.gz` (deterministic: entries sorted bytewise, parent
 * directories included, mode 0644/0755, uid/gid 0, no owner names, mtime 0,
 * gzip level 9 with no name or time) and `manifest.json` holding the full
 * `files` inventory and the archive's size and sha256, signed when
 * `signKeyPem` is given. Same input and options give byte-identical output
 * (for one zlib version). Throws `BUNDLE_PACK_INPUT` for an empty source, a
 * symlink or special file, an unsafe path or bad options; `BUNDLE_BAD_KEY` for
 * an unusable key; I/O errors as they come.
 */
export async function pack(srcDir: string, options: PackOptions): Promise<PackResult> {
  const opts = Object.freeze({ __proto__: null, ...options }) as PackOptions;
  if (!BUNDLE_ID_RE.test(opts.bundleId)) throw inputError(`invalid bundle id ${JSON.stringify(opts.bundleId)}`);
  if (semver.valid(opts.schemaVersion) !== opts.schemaVersion) {
    throw inputError(`invalid schema version ${JSON.stringify(opts.schemaVersion)}`);
  }
  const src = resolve(srcDir);
  const outDir = resolve(opts.outDir);
  const rel = relative(src, outDir);
  const outInsideSrc = rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
  const archiveName = archiveFileName(opts.bundleId);
  const archivePath = join(outDir, archiveName);
  const manifestPath = join(outDir, "manifest.json");
  if (rel === "") throw inputError("outDir must not be the source directory");

  const files = await listFiles(src, outInsideSrc ? outDir : "");
  if (files.length === 0) throw inputError("source directory holds no files");
  const dirs = new Map<string, PackEntry>();
  for (const f of files) {
    for (const d of ancestorsOf(f.path)) dirs.set(d, { path: d, kind: "dir", abs: "", size: 0 });
  }
  const entries = [...files, ...dirs.values()].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));

  const inventory = new Map<string, ManifestFile>();
  async function* tarStream(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      yield entryHeader(e.path, e.kind, e.size);
      if (e.kind === "dir") continue;
      const hash = createHash("sha256");
      let n = 0;
      if (e.size > 0) {
        // Read exactly the size we put in the header, then check nothing shrank.
        const input = await open(e.abs, READ_NOFOLLOW);
        for await (const chunk of input.createReadStream({ start: 0, end: e.size - 1 })) {
          const buf = chunk as Buffer;
          n += buf.length;
          hash.update(buf);
          yield buf;
        }
      }
      if (n !== e.size) throw inputError(`${JSON.stringify(e.path)} changed size while packing`);
      inventory.set(e.path, { path: e.path, size: e.size, sha256: hash.digest("hex") });
      // Never yield an empty chunk: a zero-length write stalls the gzip transform.
      const pad = padding(e.size);
      if (pad.length > 0) yield pad;
    }
    yield endOfArchive();
  }

  await mkdir(outDir, { recursive: true });
  const tmpArchive = `${archivePath}.tmp-${process.pid}`;
  const archiveHash = createHash("sha256");
  let archiveSize = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      archiveHash.update(chunk);
      archiveSize += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    const fh = await open(tmpArchive, "w", 0o644);
    try {
      await pipeline(
        Readable.from(tarStream(), { objectMode: false }),
        createGzip({ level: 9, strategy: zlibConstants.Z_DEFAULT_STRATEGY }),
        counter,
        fileSink(fh),
      );
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmpArchive, archivePath);
  } catch (err) {
    await rm(tmpArchive, { force: true });
    throw err;
  }

  let manifest: Manifest = {
    format: MANIFEST_FORMAT,
    bundle_id: opts.bundleId,
    schema_version: opts.schemaVersion,
    created_at: isoOf(opts.createdAt ?? new Date(), "createdAt"),
    ...(opts.expiresAt !== undefined ? { expires_at: isoOf(opts.expiresAt, "expiresAt") } : {}),
    ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
    ...(opts.embedder !== undefined ? { embedder: { id: opts.embedder.id, dims: opts.embedder.dims } } : {}),
    archive: { path: archiveName, size: archiveSize, sha256: archiveHash.digest("hex") },
    files: files
      .map((f) => inventory.get(f.path) as ManifestFile)
      .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path))),
  };
  const parsed = parseManifest(manifest);
  if (!parsed.ok) throw inputError(parsed.rejection.message, parsed.rejection);
  if (opts.signKeyPem !== undefined) manifest = signManifest(parsed.manifest, opts.signKeyPem);
  // the archive rename above and the manifest are made durable by the directory fsync of writeFileAtomic
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
  return { manifest, manifestPath, archivePath };
}

// A FileHandle's own createWriteStream keeps the handle referenced and makes
// close() wait forever when autoClose is off; write through it directly.
function fileSink(fh: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      fh.write(chunk).then(() => cb(), cb);
    },
  });
}
