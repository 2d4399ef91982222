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

/**
 * Atomically and durably replaces `path` with `data`, the one atomic write of
 * recall (the bundle builder, the puller's state files and the CLI use it):
 * a sibling temp file created O_EXCL|O_NOFOLLOW with `mode` (never follows or
 * reuses something planted there), data + fsync, rename over `path`, then
 * fsync the directory so the rename itself survives a crash. A reader sees
 * the old file or the new one, never half of one. On failure the temp file is
 * removed and `path` is left as it was.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fh = await open(tmp, flags, mode);
  try {
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}
