import { Writable } from "node:stream";
import type { Parser } from "tar";
import type { RejectReason } from "./errors";
import { MAX_TRAILING_ZERO_BYTES, TarFraming } from "./tar-framing";

// Tar framing allowed on top of the listed file bytes before the decompressed
// stream counts as a bomb, per entry the manifest implies (its files and their
// directories): a header, padding, a pax header or GNU long name (paths are at
// most 1 KiB); plus slack for the root `./`, pax global headers, the
// end-of-archive marker and record padding.
const TAR_OVERHEAD_PER_ENTRY = 8 * 1024;
const TAR_OVERHEAD_FIXED = 1024 * 1024;

/**
 * Decompressed bytes allowed for a manifest whose files total `declaredTotal`
 * bytes and imply `expectedEntries` tar entries. Sized from the manifest, not
 * from the entry cap: file sizes are checked exactly, so anything much beyond
 * them is not a tar of these files.
 */
export function tarAllowance(declaredTotal: number, expectedEntries: number): number {
  return declaredTotal + TAR_OVERHEAD_PER_ENTRY * expectedEntries + TAR_OVERHEAD_FIXED;
}

/** Options of {@link createTarFeed}. */
export interface TarFeedOptions {
  /** node-tar's parser, fed here and nowhere else. */
  parser: Parser;
  /** Cap on decompressed bytes (`unpacked_too_large` past it); see {@link tarAllowance}. */
  cap: number;
  /** The extraction's stop signal: once aborted, no more bytes are taken. */
  stop: AbortSignal;
  /** Records a rejection and returns the error that stops the pipeline. */
  reject: (reason: RejectReason, message: string, cause?: unknown) => Error;
  /** The error that stops the pipeline once `stop` has aborted. */
  stopError: () => Error;
  /** Settles once the parser has ended and every entry is written; rejects with the parser's error. */
  finished: () => Promise<void>;
}

/**
 * The last stage of the extraction pipeline: takes the decompressed stream,
 * counts it against `cap`, refuses a nested gzip stream, follows its tar
 * framing and feeds the parser up to the end-of-archive marker and not a
 * byte further (after it, only {@link MAX_TRAILING_ZERO_BYTES} of zeros are
 * allowed), honouring the parser's back-pressure.
 */
export function createTarFeed(options: TarFeedOptions): Writable {
  const { parser, cap, stop, reject, stopError } = options;
  let tarBytes = 0;
  let head = Buffer.alloc(0);
  const framing = new TarFraming();
  return new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      if (stop.aborted) return cb(stopError());
      tarBytes += chunk.length;
      if (tarBytes > cap) return cb(reject("unpacked_too_large", "decompressed archive exceeds the unpacked cap"));
      if (head.length < 4) {
        // node-tar would transparently decompress a nested gzip/zstd stream: refuse it.
        head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
        if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
          return cb(reject("corrupt_archive", "archive holds a nested compressed stream"));
        }
      }
      let step: ReturnType<TarFraming["push"]>;
      try {
        step = framing.push(chunk);
      } catch (err) {
        // node-tar's Header throws on numbers it cannot represent (base-256 sizes over 2^53).
        return cb(reject("corrupt_archive", "archive is not a valid tar: unreadable header", err));
      }
      if (step.trailing) {
        return cb(
          reject(
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
        return cb(reject("corrupt_archive", "archive is not a valid tar", err));
      }
      if (stop.aborted) return cb(stopError());
      if (more) return cb();
      const onDrain = (): void => {
        stop.removeEventListener("abort", onStop);
        cb();
      };
      const onStop = (): void => {
        parser.removeListener("drain", onDrain);
        cb(stopError());
      };
      parser.once("drain", onDrain);
      stop.addEventListener("abort", onStop, { once: true });
    },
    final: (cb) => {
      try {
        parser.end();
      } catch (err) {
        return cb(reject("corrupt_archive", "archive is not a valid tar", err));
      }
      options.finished().then(
        () => cb(stop.aborted ? stopError() : null),
        (err: Error) => cb(err),
      );
    },
  });
}
