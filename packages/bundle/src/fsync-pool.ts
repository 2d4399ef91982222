import type { FileHandle } from "node:fs/promises";
import { fsyncDir } from "@recall/safe-fs";

/**
 * fsyncs in flight at once. fsync runs on libuv's 4-thread pool, which gunzip
 * and file writes share: two in flight overlap with extraction without
 * starving them (measured faster than 1 or 16).
 */
export const MAX_SYNCS_IN_FLIGHT = 2;

/**
 * fsyncs and closes written files in the background, at most
 * {@link MAX_SYNCS_IN_FLIGHT} at a time, so the next file is written while
 * the last ones reach the disk. The first failure is kept in `failure`;
 * {@link FsyncPool.settle} waits for every file handed over.
 */
export class FsyncPool {
  private readonly inFlight = new Set<Promise<void>>();
  private firstFailure: { cause: unknown } | null = null;

  constructor(private readonly limit = MAX_SYNCS_IN_FLIGHT) {}

  /** The first fsync or close failure, if any (`null` until one happens). */
  get failure(): { cause: unknown } | null {
    return this.firstFailure;
  }

  /** Takes ownership of `fh` (it is closed whatever happens); resolves once a slot is free and the fsync started. */
  async add(fh: FileHandle): Promise<void> {
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    const p: Promise<void> = fh
      .sync()
      .finally(() => fh.close())
      .catch((cause: unknown) => {
        this.firstFailure ??= { cause };
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Resolves once every handed-over file is synced and closed (or has failed). Never rejects. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/**
 * fsyncs directories in the order given, {@link MAX_SYNCS_IN_FLIGHT} at a
 * time; rejects with the first failure's reason once its batch has settled.
 */
export async function syncDirectories(paths: readonly string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += MAX_SYNCS_IN_FLIGHT) {
    const results = await Promise.allSettled(paths.slice(i, i + MAX_SYNCS_IN_FLIGHT).map((p) => fsyncDir(p)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }
}
