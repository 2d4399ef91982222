import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

/** fsyncs a directory so that renames and creations inside it are durable. */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Mode of the new file (default 0o600; the umask applies). */
  mode?: number;
  /**
   * fsync the file before the rename and the directory after it (default
   * true). `false` keeps the write atomic for readers but not durable across
   * a crash: for caches that are rebuilt when lost or unreadable.
   */
  durable?: boolean;
}

/**
 * Atomically (and, by default, durably) replaces `path` with `data`, recall's
 * one atomic write: a sibling temp file with a random name is created
 * O_CREAT|O_EXCL|O_NOFOLLOW with the mode (it never follows or reuses
 * something planted there), written and fsynced, renamed over `path` (a
 * symlink at `path` is replaced, never written through), then the directory
 * is fsynced so the rename itself survives a crash. A reader sees the old
 * file or the new one, never half of one. On failure the temp file is
 * removed, `path` is left as it was and the fs error is thrown. The third
 * argument is the mode (the historical form) or {@link WriteFileAtomicOptions}.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, options: number | WriteFileAtomicOptions = {}): Promise<void> {
  const { mode = 0o600, durable = true } = typeof options === "number" ? { mode: options } : options;
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fh = await open(tmp, flags, mode);
  try {
    try {
      await fh.writeFile(data);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (durable) await fsyncDir(dirname(path));
}
