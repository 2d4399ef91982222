import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { createArchiveCounter } from "./archive-counter";
import { DestTree } from "./dest-tree";
import { admitEntry, type AdmissionState } from "./entry-admission";
import { BundleError, BundleRejectedError, type RejectReason } from "./errors";
import { EntryWriter } from "./entry-writer";
import { completionVerdict, pipelineFailureVerdict } from "./extraction-verdict";
import { syncDirectories } from "./fsync-pool";
import type { Manifest, ManifestFile } from "./manifest";
import { ancestorsOf, MAX_PATH_DEPTH } from "./path-rules";
import { createTarFeed, tarAllowance } from "./tar-feed";
import { MAX_META_ENTRY } from "./tar-framing";

/** Result of `safeExtract`. */
export type SafeExtractResult =
  | { ok: true; archiveBytes: number; unpackedBytes: number; files: number }
  | { ok: false; rejection: BundleRejectedError };

/** What one run needs besides the source: the target (created), the checked manifest and the caps. */
export interface ExtractionSetup {
  destAbs: string;
  destReal: string;
  manifest: Manifest;
  maxBytes: number;
  maxEntries: number;
  maxUnpackedBytes: number;
  /** Sum of the listed file sizes. */
  declaredTotal: number;
  /** Where the source's own `error` event was recorded (listened to from before the run). */
  sourceState: { error: unknown };
  onProgress?: ((bytes: number) => void) | undefined;
}

/** Thrown inside the pipeline to carry a rejection out of a stream callback. */
class Rejection extends Error {
  constructor(readonly rejection: BundleRejectedError) {
    super(rejection.message);
  }
}

/**
 * One extraction run: wires `source → counter → gunzip → tar feed → parser`,
 * admits each entry by its header ({@link admitEntry}), writes admitted entries
 * one after another, and decides the outcome once everything has settled.
 * The first rejection or I/O failure stops all of it.
 */
export class Extraction {
  private readonly listed: Map<string, ManifestFile>;
  private readonly allowedDirs = new Set<string>();
  private readonly admission: AdmissionState;
  private readonly entryPaths = new WeakMap<ReadEntry, string>();
  private readonly stop = new AbortController();
  private readonly tree: DestTree;
  private readonly writer: EntryWriter;
  private rejection: BundleRejectedError | null = null;
  private ioError: Error | null = null;
  private metaEntries = 0;
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly setup: ExtractionSetup) {
    const { manifest } = setup;
    this.listed = new Map(manifest.files.map((f) => [f.path, f]));
    for (const f of manifest.files) for (const d of ancestorsOf(f.path)) this.allowedDirs.add(d);
    this.admission = {
      listed: this.listed,
      allowedDirs: this.allowedDirs,
      maxEntries: setup.maxEntries,
      maxUnpackedBytes: setup.maxUnpackedBytes,
      seen: new Set<string>(),
      entries: 0,
      declaredUnpacked: 0,
    };
    this.tree = new DestTree(setup.destAbs, setup.destReal, this.stop.signal);
    this.writer = new EntryWriter(this.tree, this.listed, setup.maxUnpackedBytes, {
      stop: this.stop.signal,
      fail: (rejection) => this.fail(rejection),
      failIo: (err) => this.failIo(err),
    });
  }

  /** Entries a tar of exactly the manifest's files holds: files, their directories, the root. */
  private expectedEntries(): number {
    return this.listed.size + this.allowedDirs.size + 2;
  }

  /** Records the first rejection and stops everything. */
  fail(rejection: BundleRejectedError): void {
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
    this.fail(new BundleRejectedError(reason, message, { ...(path !== undefined ? { path } : {}), cause }));
  }

  private get stopped(): boolean {
    return this.stop.signal.aborted;
  }

  /**
   * Runs the pipeline over `source` to the end. Returns the outcome; throws
   * a {@link BundleError} (`BUNDLE_IO`) or the pipeline's own error when the
   * failure is not the bundle's. Leaves cleaning up the target to the caller.
   */
  async execute(source: Readable | AsyncIterable<Uint8Array>): Promise<SafeExtractResult> {
    const { manifest, maxBytes, onProgress, sourceState } = this.setup;
    const counter = createArchiveCounter({
      maxBytes,
      statedSize: manifest.archive.size,
      onProgress,
      reject: (reason, message) => this.rejectionError(reason, message),
    });

    const gunzip = createGunzip();
    let gunzipError: Error | null = null;
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

    const feed = createTarFeed({
      parser,
      cap: tarAllowance(this.setup.declaredTotal, this.expectedEntries()),
      stop: this.stop.signal,
      reject: (reason, message, cause) => this.rejectionError(reason, message, cause),
      stopError: () => this.stopError(),
      finished: () => parserDone.then(() => this.work),
    });

    try {
      await pipeline(source, counter.stream, gunzip, feed, { signal: this.stop.signal });
    } catch (err) {
      if (!this.rejection && !this.ioError) {
        if (err instanceof Rejection) this.fail(err.rejection);
        else {
          const v = pipelineFailureVerdict({
            sourceError: sourceState.error,
            gunzipError,
            archiveBytes: counter.bytes,
            statedSize: manifest.archive.size,
          });
          if (!("io" in v)) this.reject(v.reason, v.message, undefined, v.cause);
          else if (v.io) this.failIo(new BundleError("BUNDLE_IO", "reading the archive failed", { cause: v.io }));
          else this.failIo(err as Error);
        }
      }
    }
    this.stop.abort(new Error("extraction finished"));
    await this.work.catch(() => undefined);
    await this.writer.settle();
    const syncFailure = this.writer.syncFailure;
    if (syncFailure && !this.rejection && !this.ioError) {
      this.failIo(new BundleError("BUNDLE_IO", "fsync of an extracted file failed", { cause: syncFailure.cause }));
    }

    if (this.ioError) throw this.ioError;
    if (this.rejection) return { ok: false, rejection: this.rejection };

    const verdict = completionVerdict({
      archiveBytes: counter.bytes,
      archiveSha256: counter.digest(),
      statedSize: manifest.archive.size,
      statedSha256: manifest.archive.sha256,
      listed: manifest.files.map((f) => f.path),
      written: this.writer.written,
    });
    if (verdict) return this.result(verdict.reason, verdict.message, verdict.path);
    try {
      await syncDirectories(this.tree.directoriesToSync());
    } catch (cause) {
      throw new BundleError("BUNDLE_IO", "fsync of an extracted directory failed", { cause });
    }
    return { ok: true, archiveBytes: counter.bytes, unpackedBytes: this.writer.unpacked, files: this.writer.written.size };
  }

  private result(reason: RejectReason, message: string, path?: string): SafeExtractResult {
    return { ok: false, rejection: new BundleRejectedError(reason, message, path !== undefined ? { path } : undefined) };
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
      const metaCap = 4 * Math.min(this.setup.maxEntries, this.expectedEntries()) + 16;
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
    await this.writer.write(entry, path);
  }
}
