import type { ReadEntry } from "tar";
import type { DestTree } from "./dest-tree";
import { drainEntry } from "./entry-drain";
import { BundleError, BundleRejectedError, type RejectReason } from "./errors";
import { NewFile } from "./file-writer";
import { FsyncPool } from "./fsync-pool";
import type { ManifestFile } from "./manifest";
import { ancestorsOf } from "./path-rules";
import { quotePath } from "./quote-path";

/** How an {@link EntryWriter} reports to its run. */
export interface EntryWriterHooks {
  /** The run's stop signal: once aborted, nothing more is created or written. */
  stop: AbortSignal;
  /** Records a rejection (the first one wins) and stops the run. */
  fail: (rejection: BundleRejectedError) => void;
  /** Records an I/O failure (the first failure wins) and stops the run. */
  failIo: (err: Error) => void;
}

/**
 * Writes admitted entries into the target: directories through the
 * {@link DestTree}, files new and verified as they are written (counted
 * against the file's listed size and the unpacked cap, hashed against its
 * listed sha256), then handed to an {@link FsyncPool}. A failure is reported
 * through the hooks, never thrown: a rejection when the bundle is at fault
 * (a name colliding with an earlier one is `duplicate_entry`), `BUNDLE_IO` otherwise.
 */
export class EntryWriter {
  /** Paths of the files written and verified. */
  readonly written = new Set<string>();
  private readonly fsyncs = new FsyncPool();
  private unpackedBytes = 0;

  constructor(
    private readonly tree: DestTree,
    private readonly listed: ReadonlyMap<string, ManifestFile>,
    private readonly maxUnpackedBytes: number,
    private readonly hooks: EntryWriterHooks,
  ) {}

  /** File bytes written so far. */
  get unpacked(): number {
    return this.unpackedBytes;
  }

  /** The first fsync failure of a written file, if any. */
  get syncFailure(): { cause: unknown } | null {
    return this.fsyncs.failure;
  }

  /** Resolves once every written file is fsynced and closed. Never rejects. */
  settle(): Promise<void> {
    return this.fsyncs.settle();
  }

  private get stopped(): boolean {
    return this.hooks.stop.aborted;
  }

  private reject(reason: RejectReason, message: string, path: string, cause?: unknown): void {
    this.hooks.fail(new BundleRejectedError(reason, message, { path, cause }));
  }

  /** Writes one admitted entry at its normalised `path`; call strictly one after another. */
  async write(entry: ReadEntry, path: string): Promise<void> {
    try {
      if (entry.type === "Directory") {
        await this.tree.ensureDir(path);
        if (!this.stopped) await drainEntry(entry, this.hooks.stop, () => Promise.resolve());
        return;
      }
      await this.writeFile(entry, path);
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof BundleRejectedError) return this.hooks.fail(err);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ELOOP") {
        // Only a name aliasing an earlier one (case-insensitive filesystem) gets here.
        this.reject("duplicate_entry", `entry ${quotePath(path)} collides with an earlier one`, path, err);
      } else {
        this.hooks.failIo(new BundleError("BUNDLE_IO", `writing ${quotePath(path)} failed`, { cause: err }));
      }
    }
  }

  /** Writes, counts and verifies one listed file, then hands it to the fsync pool. */
  private async writeFile(entry: ReadEntry, path: string): Promise<void> {
    const listed = this.listed.get(path) as ManifestFile;
    const parent = ancestorsOf(path).at(-1);
    if (parent !== undefined) await this.tree.ensureDir(parent);
    if (this.stopped) return;
    const file = await NewFile.create(this.tree.targetOf(path));
    try {
      let size = 0;
      await drainEntry(entry, this.hooks.stop, async (chunk) => {
        size += chunk.length;
        this.unpackedBytes += chunk.length;
        if (this.unpackedBytes > this.maxUnpackedBytes) {
          this.reject("unpacked_too_large", `unpacked files exceed the cap of ${this.maxUnpackedBytes} bytes`, path);
          return;
        }
        if (size > listed.size) {
          this.reject("file_size_mismatch", `file ${quotePath(path)} is larger than the manifest states`, path);
          return;
        }
        await file.append(chunk);
      });
      if (this.stopped) return;
      await file.flush();
      if (size !== listed.size) {
        this.reject("file_size_mismatch", `file ${quotePath(path)} is ${size} bytes, the manifest states ${listed.size}`, path);
        return;
      }
      if (file.digest() !== listed.sha256) {
        this.reject("file_hash_mismatch", `file ${quotePath(path)} sha256 differs from the manifest`, path);
        return;
      }
      this.written.add(path);
      await this.fsyncs.add(file.release());
    } finally {
      await file.close();
    }
  }
}
