import { constants } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";

/** fsyncs a directory so that renames and creations inside it are durable. */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a file durably: data + fsync, then closes. */
export async function writeFileSynced(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const fh = await open(path, "w", mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Atomically replaces `path`: write a sibling tmp file, fsync, rename over, fsync the directory. */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFileSynced(tmp, data, mode);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Creates a directory (and parents) with a mode; idempotent. */
export async function ensureDir(path: string, mode = 0o755): Promise<void> {
  await mkdir(path, { recursive: true, mode });
}

