import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { chmod, lstat, mkdir, open, realpath, rm, type FileHandle } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { BundleError, BundleRejected, quotePath, type RejectReason } from "./errors";
import { parseManifest, type Manifest, type ManifestFile } from "./manifest";
import { admitEntry, type AdmissionState } from "./admission";
import { ancestorsOf, MAX_PATH_DEPTH } from "./path-rules";
import { MAX_META_ENTRY, MAX_TRAILING_ZERO_BYTES, TarFraming } from "./tar-framing";

/** Default cap on tar entries (docs/bundle-format.md). */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** Options of {@link safeExtract}. */
export interface SafeExtractOptions {
  /** Directory to create and fill; it must not exist. Absent again after a rejection. */
  dest: string;
  /** The already parsed (and policy-checked) manifest the archive must match. */
  manifest: Manifest;
  /** Cap on compressed bytes read from `source`, counted as they arrive. */
  maxBytes: number;
  /** Cap on file bytes unpacked. */
  maxUnpackedBytes: number;
  /** Cap on tar entries (files, directories and anything else); default 100 000. */
  maxEntries?: number;
  /** Aborting rejects the bundle with reason `aborted`. */
  signal?: AbortSignal;
  /** Called with the running count of compressed bytes read; errors it throws are ignored. */
  onProgress?: (bytes: number) => void;
}

/** Result of {@link safeExtract}. */
export type SafeExtractResult =
  | { ok: true; archiveBytes: number; unpackedBytes: number; files: number }
  | { ok: false; rejection: BundleRejected };

// Tar framing allowed on top of the listed file bytes before the decompressed
// stream counts as a bomb, per entry the manifest implies (its files and their
// directories): a header, padding, a pax header or GNU long name (paths are at
// most 1 KiB); plus slack for the root `./`, pax global headers, the
// end-of-archive marker and record padding.
const TAR_OVERHEAD_PER_ENTRY = 8 * 1024;
const TAR_OVERHEAD_FIXED = 1024 * 1024;
// fsync runs on libuv's 4-thread pool, which gunzip and file writes share:
// two in flight overlap with extraction without starving them (measured).
const MAX_SYNCS_IN_FLIGHT = 2;
const WRITE_BATCH_BYTES = 1024 * 1024;
const OPEN_NEW_FILE =
  fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);
const OPEN_DIR = fsConstants.O_RDONLY | (fsConstants.O_DIRECTORY ?? 0);

/** Thrown inside the pipeline to carry a rejection out of a stream callback. */
class Rejection extends Error {
  constructor(readonly rejection: BundleRejected) {
    super(rejection.message);
  }
}

/**
 * Streams a bundle archive into a new directory `dest` in one pass
 * (source → size/sha256 counter → gunzip → tar parser → files), enforcing every
 * rule of docs/bundle-format.md with its own checks (node-tar is only the parser):
 * regular files and directories only; safe, listed, unique paths; per-file
 * size and sha256; caps on compressed bytes, unpacked bytes and entries; the
 * archive's size and sha256 against the manifest; no listed file missing;
 * nothing but a little zero padding after the tar end-of-archive marker (the
 * parser is not fed past it). `.` segments (`./memories.db`, the `./` root
 * entry, as `tar -C dir -czf x.tgz .` writes them) are normalised away.
 * Files are created with O_EXCL|O_NOFOLLOW as 0644, directories as 0755, and
 * every file and directory is fsynced before success.
 *
 * A bad archive is never thrown: it returns `{ok: false, rejection}` after
 * destroying the source and removing `dest` entirely. It throws a
 * {@link BundleError} only when it cannot do its job for reasons that are not
 * the bundle's fault, after the same cleanup: `BUNDLE_DEST_EXISTS` (`dest` is
 * already there), `BUNDLE_IO` (the source stream failed, or the local
 * filesystem did, e.g. ENOSPC).
 */
export async function safeExtract(
  source: Readable | AsyncIterable<Uint8Array>,
  options: SafeExtractOptions,
): Promise<SafeExtractResult> {
  const opts = Object.freeze({ __proto__: null, ...options }) as SafeExtractOptions;
  const { manifest, maxBytes, maxUnpackedBytes, signal } = opts;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  // Listen before the first await, and stay listening: a source that fails
  // while dest is created, or after we gave up on it, must not crash the process.
  const sourceState: { error: unknown } = { error: null };
  const src = source as Partial<Readable>;
  const onSourceError = (err: unknown): void => {
    sourceState.error ??= err;
  };
  if (typeof src.on === "function") src.on("error", onSourceError);
  const destroySource = (): void => {
    const s = source as Partial<Readable>;
    if (typeof s.destroy === "function" && !s.destroyed) s.destroy();
  };
  const early = (reason: RejectReason, message: string): SafeExtractResult => {
    destroySource();
    return { ok: false, rejection: new BundleRejected(reason, message) };
  };

  if (signal?.aborted) return early("aborted", "extraction aborted before it started");
  // The manifest is the trust anchor of every check below: never take its shape on faith.
  const checked = parseManifest(manifest);
  if (!checked.ok) {
    destroySource();
    return checked;
  }
  if (manifest.archive.size > maxBytes) {
    return early("archive_too_large", `archive is ${manifest.archive.size} bytes, more than the cap of ${maxBytes}`);
  }
  if (manifest.files.length > maxEntries) {
    return early("too_many_entries", `manifest lists ${manifest.files.length} files, more than the cap of ${maxEntries}`);
  }
  const declaredTotal = manifest.files.reduce((n, f) => n + f.size, 0);
  if (declaredTotal > maxUnpackedBytes) {
    return early("unpacked_too_large", `files total ${declaredTotal} bytes, more than the cap of ${maxUnpackedBytes}`);
  }

  const destAbs = resolve(opts.dest);
  let destReal: string;
  let created = false;
  try {
    await mkdir(dirname(destAbs), { recursive: true });
    await mkdir(destAbs, { mode: 0o755 });
    created = true;
    await chmod(destAbs, 0o755);
    destReal = await realpath(destAbs);
  } catch (cause) {
    destroySource();
    if (created) await rm(destAbs, { recursive: true, force: true });
    if ((cause as NodeJS.ErrnoException).code === "EEXIST") {
      throw new BundleError("BUNDLE_DEST_EXISTS", `extraction target already exists: ${destAbs}`, { cause });
    }
    throw new BundleError("BUNDLE_IO", `cannot create extraction target ${destAbs}`, { cause });
  }

  const run = new Extraction(destAbs, destReal, manifest, maxEntries, maxUnpackedBytes, declaredTotal, sourceState);
  const onAbort = (): void => run.fail(new BundleRejected("aborted", "extraction aborted"));
  signal?.addEventListener("abort", onAbort, { once: true });
  // An abort that landed while dest was being created.
  if (signal?.aborted) onAbort();
  try {
    const outcome = await run.execute(source, maxBytes, opts.onProgress);
    if (outcome.ok) return outcome;
    destroySource();
    await rm(destAbs, { recursive: true, force: true });
    return outcome;
  } catch (err) {
    destroySource();
    await rm(destAbs, { recursive: true, force: true });
    if (err instanceof BundleError) throw err;
    throw new BundleError("BUNDLE_IO", "bundle extraction failed", { cause: err });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

/** State of one extraction run. */
class Extraction {
  private readonly listed: Map<string, ManifestFile>;
  private readonly allowedDirs = new Set<string>();
  private readonly admission: AdmissionState;
  private readonly written = new Set<string>();
  private readonly createdDirs = new Set<string>([""]);
  private readonly entryPaths = new WeakMap<ReadEntry, string>();
  private readonly stop = new AbortController();
  private rejection: BundleRejected | null = null;
  private ioError: Error | null = null;
  private metaEntries = 0;
  private readonly syncs = new Set<Promise<void>>();
  private syncFailure: unknown = null;
  private unpacked = 0;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly destAbs: string,
    private readonly destReal: string,
    private readonly manifest: Manifest,
    private readonly maxEntries: number,
    private readonly maxUnpackedBytes: number,
    private readonly declaredTotal: number,
    private readonly sourceState: { error: unknown },
  ) {
    this.listed = new Map(manifest.files.map((f) => [f.path, f]));
    for (const f of manifest.files) for (const d of ancestorsOf(f.path)) this.allowedDirs.add(d);
    this.admission = {
      listed: this.listed,
      allowedDirs: this.allowedDirs,
      maxEntries,
      maxUnpackedBytes,
      seen: new Set<string>(),
      entries: 0,
      declaredUnpacked: 0,
    };
  }

  /** Entries a tar of exactly the manifest's files holds: files, their directories, the root. */
  private expectedEntries(): number {
    return this.listed.size + this.allowedDirs.size + 2;
  }

  /** Records the first rejection and stops everything. */
  fail(rejection: BundleRejected): void {
    if (this.rejection || this.ioError) return;
    this.rejection = rejection;
    this.stop.abort(rejection);
  }

  private failIo(err: Error): void {
    if (this.rejection || this.ioError) return;
    this.ioError = err;
    this.stop.abort(err);
  }

  private reject(reason: RejectReason, message: string, path?: string, cause?: unknown): void {
    this.fail(new BundleRejected(reason, message, { ...(path !== undefined ? { path } : {}), cause }));
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  async execute(
    source: Readable | AsyncIterable<Uint8Array>,
    maxBytes: number,
    onProgress: ((bytes: number) => void) | undefined,
  ): Promise<SafeExtractResult> {
    const { manifest } = this;
    const archiveHash = createHash("sha256");
    let archiveBytes = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        archiveBytes += chunk.length;
        if (archiveBytes > maxBytes) {
          return cb(this.rejectionError("archive_too_large", `archive exceeds the cap of ${maxBytes} bytes`));
        }
        if (archiveBytes > manifest.archive.size) {
          return cb(
            this.rejectionError(
              "archive_size_mismatch",
              `archive is larger than the ${manifest.archive.size} bytes the manifest states`,
            ),
          );
        }
        archiveHash.update(chunk);
        if (onProgress) {
          try {
            onProgress(archiveBytes);
          } catch {
            // a faulty progress callback must not change the outcome
          }
        }
        cb(null, chunk);
      },
    });

    const gunzip = createGunzip();
    let gunzipError: unknown = null;
    gunzip.on("error", (err) => {
      if (!this.stopped) gunzipError = err;
    });

    const parser = this.createParser();
    const parserDone = new Promise<void>((resolveDone, rejectDone) => {
      parser.on("end", () => resolveDone());
      parser.on("error", (err: Error) => {
        this.reject("corrupt_archive", `archive is not a valid tar: ${err.message}`, undefined, err);
        rejectDone(err);
      });
    });
    parserDone.catch(() => undefined);

    // Sized from what this manifest implies, not from the entry cap: file sizes
    // are checked exactly, so anything much beyond them is not a tar of these files.
    const tarCap = this.declaredTotal + TAR_OVERHEAD_PER_ENTRY * this.expectedEntries() + TAR_OVERHEAD_FIXED;
    let tarBytes = 0;
    let head = Buffer.alloc(0);
    const framing = new TarFraming();
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (this.stopped) return cb(this.stopError());
        tarBytes += chunk.length;
        if (tarBytes > tarCap) {
          return cb(this.rejectionError("unpacked_too_large", "decompressed archive exceeds the unpacked cap"));
        }
        if (head.length < 4) {
          // node-tar would transparently decompress a nested gzip/zstd stream: refuse it.
          head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
          if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
            return cb(this.rejectionError("corrupt_archive", "archive holds a nested compressed stream"));
          }
        }
        let step: ReturnType<TarFraming["push"]>;
        try {
          step = framing.push(chunk);
        } catch (err) {
          // node-tar's Header throws on numbers it cannot represent (base-256 sizes over 2^53).
          return cb(this.rejectionError("corrupt_archive", "archive is not a valid tar: unreadable header", err));
        }
        if (step.trailing) {
          return cb(
            this.rejectionError(
              "corrupt_archive",
              step.trailing.kind === "nonzero"
                ? `non-zero data ${step.trailing.bytes} bytes after the tar end-of-archive marker`
                : `more than ${MAX_TRAILING_ZERO_BYTES} bytes of padding after the tar end-of-archive marker`,
            ),
          );
        }
        // Past the end marker the parser gets nothing more: node-tar would buffer it all.
        if (step.tar.length === 0) return cb();
        let more: boolean;
        try {
          more = parser.write(step.tar);
        } catch (err) {
          return cb(this.rejectionError("corrupt_archive", "archive is not a valid tar", err));
        }
        if (this.stopped) return cb(this.stopError());
        if (more) return cb();
        const onDrain = (): void => {
          this.stop.signal.removeEventListener("abort", onStop);
          cb();
        };
        const onStop = (): void => {
          parser.removeListener("drain", onDrain);
          cb(this.stopError());
        };
        parser.once("drain", onDrain);
        this.stop.signal.addEventListener("abort", onStop, { once: true });
      },
      final: (cb) => {
        try {
          parser.end();
        } catch (err) {
          return cb(this.rejectionError("corrupt_archive", "archive is not a valid tar", err));
        }
        parserDone.then(
          () => this.work.then(() => cb(this.stopped ? this.stopError() : null)),
          (err: Error) => cb(err),
        );
      },
    });

    try {
      await pipeline(source, counter, gunzip, sink, { signal: this.stop.signal });
    } catch (err) {
      if (!this.rejection && !this.ioError) {
        if (err instanceof Rejection) this.fail(err.rejection);
        else if (this.sourceState.error) {
          // The source's own failure (network, disk) propagates to gunzip too: check it first.
          this.failIo(new BundleError("BUNDLE_IO", "reading the archive failed", { cause: this.sourceState.error }));
        } else if (gunzipError && archiveBytes < manifest.archive.size) {
          // A short read (connection closed early) is a size problem before it is a gzip one.
          this.reject(
            "archive_size_mismatch",
            `archive ended after ${archiveBytes} of the ${manifest.archive.size} bytes the manifest states`,
            undefined,
            gunzipError,
          );
        } else if (gunzipError) {
          this.reject("corrupt_archive", `archive is not valid gzip: ${(gunzipError as Error).message}`, undefined, gunzipError);
        } else {
          this.failIo(err as Error);
        }
      }
    }
    this.stop.abort(new Error("extraction finished"));
    await this.work.catch(() => undefined);
    await this.settleSyncs();
    if (this.syncFailure && !this.rejection && !this.ioError) {
      this.failIo(new BundleError("BUNDLE_IO", "fsync of an extracted file failed", { cause: this.syncFailure }));
    }

    if (this.ioError) throw this.ioError;
    if (this.rejection) return { ok: false, rejection: this.rejection };

    if (archiveBytes !== manifest.archive.size) {
      return this.result("archive_size_mismatch", `archive is ${archiveBytes} bytes, the manifest states ${manifest.archive.size}`);
    }
    if (archiveHash.digest("hex") !== manifest.archive.sha256) {
      return this.result("archive_hash_mismatch", "archive sha256 differs from the manifest");
    }
    const missing = manifest.files
      .map((f) => f.path)
      .filter((p) => !this.written.has(p))
      .sort();
    if (missing.length > 0) {
      const first = missing[0] as string;
      return this.result("missing_file", `${missing.length} listed file(s) missing, first ${quotePath(first)}`, first);
    }
    await this.syncDirectories();
    return { ok: true, archiveBytes, unpackedBytes: this.unpacked, files: this.written.size };
  }

  private result(reason: RejectReason, message: string, path?: string): SafeExtractResult {
    return { ok: false, rejection: new BundleRejected(reason, message, path !== undefined ? { path } : undefined) };
  }

  private rejectionError(reason: RejectReason, message: string, cause?: unknown): Error {
    this.reject(reason, message, undefined, cause);
    return this.stopError();
  }

  private stopError(): Error {
    return this.rejection ? new Rejection(this.rejection) : (this.ioError ?? new Error("extraction stopped"));
  }

  private createParser(): Parser {
    const parser = new Parser({
      strict: true,
      filter: (_path, entry) => this.admit(entry as ReadEntry),
      maxMetaEntrySize: MAX_META_ENTRY,
      maxDepth: MAX_PATH_DEPTH,
      preserveOwner: false,
      zstd: false,
      brotli: false,
    });
    parser.on("entry", (entry: ReadEntry) => {
      this.work = this.work
        .then(() => this.writeEntry(entry))
        .catch((err: unknown) => this.failIo(err instanceof Error ? err : new Error(String(err))));
    });
    parser.on("meta", (meta: string) => {
      // Extended headers are not entries, but a stream of them is still work: bound it.
      this.metaEntries += 1;
      const metaCap = 4 * Math.min(this.maxEntries, this.expectedEntries()) + 16;
      if (this.metaEntries > metaCap) {
        this.reject("too_many_entries", `archive has more than ${metaCap} extended headers`);
      }
      // node-tar cuts long names at the first NUL; a NUL followed by more text
      // is a smuggled name (GNU long names may only end in NUL padding).
      if (/\0[^\0]/.test(meta)) this.reject("unsafe_path", "NUL inside an extended tar name");
    });
    parser.on("ignoredEntry", (entry: ReadEntry) => {
      // Entries our filter refused are already rejected; the rest are types
      // node-tar does not know, or oversized metadata.
      if (entry.meta) this.reject("corrupt_archive", "oversized tar metadata entry");
      else this.reject("special_entry", `entry of unsupported type ${String(entry.type)}`, entry.path);
    });
    return parser;
  }

  /** Synchronous checks on every entry header, before any byte is written. */
  private admit(entry: ReadEntry): boolean {
    if (this.stopped) return false;
    const decision = admitEntry({ type: String(entry.type), path: String(entry.path), size: entry.size }, this.admission);
    if (!decision.admit) {
      this.reject(decision.reason, decision.message, decision.path);
      return false;
    }
    this.entryPaths.set(entry, decision.path);
    return true;
  }

  /** Writes one admitted entry; runs strictly after the previous one. */
  private async writeEntry(entry: ReadEntry): Promise<void> {
    const path = this.entryPaths.get(entry);
    if (this.stopped || path === undefined) {
      entry.resume();
      return;
    }
    try {
      if (entry.type === "Directory") {
        await this.ensureDir(path);
        if (!this.stopped) await drain(entry, this.stop.signal, () => Promise.resolve());
        return;
      }
      await this.writeFile(entry, path);
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof BundleRejected) return this.fail(err);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ELOOP") {
        // Only a name aliasing an earlier one (case-insensitive filesystem) gets here.
        this.reject("duplicate_entry", `entry ${quotePath(path)} collides with an earlier one`, path, err);
      } else {
        this.failIo(new BundleError("BUNDLE_IO", `writing ${quotePath(path)} failed`, { cause: err }));
      }
    }
  }

  private targetOf(path: string): string {
    const abs = resolve(this.destAbs, ...path.split("/"));
    if (!abs.startsWith(this.destAbs + sep)) {
      throw new BundleRejected("unsafe_path", `entry ${quotePath(path)} resolves outside the target`, { path });
    }
    return abs;
  }

  /** Creates `path` and its ancestors as real 0755 directories, checking each stays inside dest. */
  private async ensureDir(path: string): Promise<void> {
    for (const dir of [...ancestorsOf(path), path]) {
      if (this.createdDirs.has(dir) || this.stopped) continue;
      const abs = this.targetOf(dir);
      await mkdir(abs, { mode: 0o755 });
      const st = await lstat(abs);
      if (!st.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "EEXIST" });
      await chmod(abs, 0o755);
      if ((await realpath(abs)) !== join(this.destReal, ...dir.split("/"))) {
        throw new BundleRejected("unsafe_path", `directory ${quotePath(dir)} resolves outside the target`, { path: dir });
      }
      this.createdDirs.add(dir);
    }
  }

  private async writeFile(entry: ReadEntry, path: string): Promise<void> {
    const listed = this.listed.get(path) as ManifestFile;
    const parent = ancestorsOf(path).at(-1);
    if (parent !== undefined) await this.ensureDir(parent);
    if (this.stopped) return;
    const abs = this.targetOf(path);
    const fh = await open(abs, OPEN_NEW_FILE, 0o644);
    let handedOff = false;
    try {
      await fh.chmod(0o644);
      const hash = createHash("sha256");
      let size = 0;
      // Coalesce the parser's small chunks into fewer, larger writes.
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const flush = async (): Promise<void> => {
        if (batchBytes === 0) return;
        const buf = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        await writeAll(fh, buf);
      };
      await drain(entry, this.stop.signal, async (chunk) => {
        size += chunk.length;
        this.unpacked += chunk.length;
        if (this.unpacked > this.maxUnpackedBytes) {
          this.reject("unpacked_too_large", `unpacked files exceed the cap of ${this.maxUnpackedBytes} bytes`, path);
          return;
        }
        if (size > listed.size) {
          this.reject("file_size_mismatch", `file ${quotePath(path)} is larger than the manifest states`, path);
          return;
        }
        hash.update(chunk);
        batch.push(chunk);
        batchBytes += chunk.length;
        if (batchBytes >= WRITE_BATCH_BYTES) await flush();
      });
      if (this.stopped) return;
      await flush();
      if (size !== listed.size) {
        this.reject("file_size_mismatch", `file ${quotePath(path)} is ${size} bytes, the manifest states ${listed.size}`, path);
        return;
      }
      if (hash.digest("hex") !== listed.sha256) {
        this.reject("file_hash_mismatch", `file ${quotePath(path)} sha256 differs from the manifest`, path);
        return;
      }
      this.written.add(path);
      handedOff = true;
      await this.syncInBackground(fh);
    } finally {
      if (!handedOff) await fh.close();
    }
  }

  /**
   * fsyncs and closes a verified file without holding up the next entry: a
   * couple of fsyncs in flight overlap with extraction instead of serialising it.
   * `execute` waits for all of them before it reports anything.
   */
  private async syncInBackground(fh: FileHandle): Promise<void> {
    while (this.syncs.size >= MAX_SYNCS_IN_FLIGHT) await Promise.race(this.syncs);
    const p: Promise<void> = fh
      .sync()
      .finally(() => fh.close())
      .catch((err: unknown) => {
        this.syncFailure ??= err;
      })
      .finally(() => this.syncs.delete(p));
    this.syncs.add(p);
  }

  private async settleSyncs(): Promise<void> {
    while (this.syncs.size > 0) await Promise.all([...this.syncs]);
  }

  /** fsyncs every created directory and dest's parent (after all files are synced). */
  private async syncDirectories(): Promise<void> {
    const dirs = [...this.createdDirs].sort((a, b) => b.split("/").length - a.split("/").length || (a < b ? 1 : -1));
    const paths = dirs.map((d) => (d === "" ? this.destAbs : join(this.destAbs, ...d.split("/"))));
    paths.push(dirname(this.destAbs));
    for (let i = 0; i < paths.length; i += MAX_SYNCS_IN_FLIGHT) {
      const results = await Promise.allSettled(paths.slice(i, i + MAX_SYNCS_IN_FLIGHT).map((p) => syncDirectory(p)));
      const failed = results.find((r) => r.status === "rejected");
      if (failed) {
        await rm(this.destAbs, { recursive: true, force: true });
        throw new BundleError("BUNDLE_IO", "fsync of an extracted directory failed", { cause: failed.reason });
      }
    }
  }
}

/**
 * Feeds an entry's data to `onChunk` one chunk at a time (pausing the entry,
 * hence the parser, while it works); settles on the entry's end or on `stop`.
 */
function drain(entry: ReadEntry, stop: AbortSignal, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
  return new Promise<void>((resolveDrain, rejectDrain) => {
    let busy = false;
    let ended = false;
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      entry.removeListener("data", onData);
      entry.removeListener("end", onEnd);
      entry.removeListener("error", onError);
      stop.removeEventListener("abort", onStop);
      if (err) rejectDrain(err instanceof Error ? err : new Error("entry stream failed", { cause: err }));
      else resolveDrain();
    };
    const onData = (chunk: Buffer): void => {
      busy = true;
      entry.pause();
      onChunk(chunk).then(
        () => {
          busy = false;
          if (stop.aborted) settle();
          else if (ended) settle();
          else entry.resume();
        },
        (err: unknown) => settle(err),
      );
    };
    const onEnd = (): void => {
      ended = true;
      if (!busy) settle();
    };
    const onError = (err: unknown): void => settle(err);
    const onStop = (): void => {
      if (!busy) settle();
    };
    // 'end' and 'error' first: adding a 'data' listener makes a Minipass
    // stream flow at once, and it may end synchronously.
    entry.on("end", onEnd);
    entry.on("error", onError);
    if (stop.aborted) return settle();
    stop.addEventListener("abort", onStop, { once: true });
    entry.on("data", onData);
  });
}

async function syncDirectory(path: string): Promise<void> {
  const fh = await open(path, OPEN_DIR);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}
