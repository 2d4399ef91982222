import { createHash } from "node:crypto";
import { Transform } from "node:stream";
import type { RejectReason } from "./errors";

/** Options of {@link createArchiveCounter}. */
export interface ArchiveCounterOptions {
  /** Cap on compressed bytes (`archive_too_large` past it). */
  maxBytes: number;
  /** The manifest's `archive.size` (`archive_size_mismatch` past it). */
  statedSize: number;
  /** Called with the running byte count; errors it throws are ignored. */
  onProgress?: ((bytes: number) => void) | undefined;
  /** Records a rejection and returns the error that stops the pipeline. */
  reject: (reason: RejectReason, message: string) => Error;
}

/** The first stage of the extraction pipeline and what it has counted so far. */
export interface ArchiveCounter {
  /** Passes compressed bytes through unchanged. */
  readonly stream: Transform;
  /** Compressed bytes seen. */
  readonly bytes: number;
  /** sha256 (hex) of the bytes seen; call once, at the end. */
  digest(): string;
}

/**
 * Counts and hashes the compressed archive as it arrives, and stops the
 * pipeline the moment it passes `maxBytes` or the size the manifest states
 * (before those bytes reach gunzip).
 */
export function createArchiveCounter(options: ArchiveCounterOptions): ArchiveCounter {
  const { maxBytes, statedSize, reject } = options;
  const hash = createHash("sha256");
  let bytes = 0;
  const stream = new Transform({
    transform: (chunk: Buffer, _enc, cb) => {
      bytes += chunk.length;
      if (bytes > maxBytes) return cb(reject("archive_too_large", `archive exceeds the cap of ${maxBytes} bytes`));
      if (bytes > statedSize) {
        return cb(reject("archive_size_mismatch", `archive is larger than the ${statedSize} bytes the manifest states`));
      }
      hash.update(chunk);
      if (options.onProgress) {
        try {
          options.onProgress(bytes);
        } catch {
          // a faulty progress callback must not change the outcome
        }
      }
      cb(null, chunk);
    },
  });
  return {
    stream,
    get bytes() {
      return bytes;
    },
    digest: () => hash.digest("hex"),
  };
}
