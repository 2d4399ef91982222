import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

// Never through an existing name or a symlink planted at it.
const OPEN_NEW_FILE =
  fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);
// Coalesce the parser's small chunks into fewer, larger writes.
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * One extracted file: created new (`O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW`, then
 * `fchmod` 0644 so neither tar modes nor the umask matter), written in
 * batches of up to 1 MiB, its sha256 computed over exactly the bytes written.
 * {@link NewFile.create} fails with the filesystem's error (`EEXIST`, `ELOOP`
 * when the name is taken or is a symlink).
 */
export class NewFile {
  private readonly hash = createHash("sha256");
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private closed = false;

  private constructor(private readonly fh: FileHandle) {}

  /** Creates the file at absolute path `abs`; it must not exist. */
  static async create(abs: string): Promise<NewFile> {
    const fh = await open(abs, OPEN_NEW_FILE, 0o644);
    try {
      await fh.chmod(0o644);
    } catch (err) {
      await fh.close();
      throw err;
    }
    return new NewFile(fh);
  }

  /** Hashes `chunk` and queues it, writing the batch once it reaches 1 MiB. */
  async append(chunk: Buffer): Promise<void> {
    this.hash.update(chunk);
    this.batch.push(chunk);
    this.batchBytes += chunk.length;
    if (this.batchBytes >= WRITE_BATCH_BYTES) await this.flush();
  }

  /** Writes whatever is queued. */
  async flush(): Promise<void> {
    if (this.batchBytes === 0) return;
    const buf = this.batch.length === 1 ? (this.batch[0] as Buffer) : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
  }

  /** sha256 (hex) of every byte appended; call once, after the last {@link NewFile.append}. */
  digest(): string {
    return this.hash.digest("hex");
  }

  /** Hands the open handle over (e.g. to an fsync pool), which then owns closing it. */
  release(): FileHandle {
    this.closed = true;
    return this.fh;
  }

  /** Closes the handle unless it was released. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
