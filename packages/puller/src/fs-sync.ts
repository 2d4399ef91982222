import { mkdir, open } from "node:fs/promises";

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

/**
 * The atomic write (O_EXCL|O_NOFOLLOW temp file, fsync, rename, fsync the
 * directory) and `fsyncDir` are `@recall/safe-fs`'s, recall's one definition.
 */
export { fsyncDir, writeFileAtomic } from "@recall/safe-fs";

/** Creates a directory (and parents) with a mode; idempotent. */
export async function ensureDir(path: string, mode = 0o755): Promise<void> {
  await mkdir(path, { recursive: true, mode });
}

