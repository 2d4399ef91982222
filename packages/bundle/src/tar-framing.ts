import { Header, Pax } from "tar";
import { TAR_BLOCK } from "./tar-format";

/**
 * Zero bytes allowed after the end-of-archive marker. Tools pad the archive
 * to a whole record: GNU tar, bsdtar, Python's tarfile and git use 10 KiB
 * records (blocking factor 20); 64 KiB covers blocking factors up to 128.
 */
export const MAX_TRAILING_ZERO_BYTES = 64 * 1024;

/** Largest extended header (pax, GNU long name) we read; larger ones are refused. */
export const MAX_META_ENTRY = 64 * 1024;

const META_TYPES = new Set([
  "ExtendedHeader",
  "OldExtendedHeader",
  "GlobalExtendedHeader",
  "NextFileHasLongPath",
  "OldGnuLongPath",
  "NextFileHasLongLinkpath",
]);

type PaxFields = ReturnType<typeof Pax.parse>;

/** What {@link TarFraming.push} found in one chunk. */
export interface FramingStep {
  /** The part of the chunk that belongs to the tar stream (up to and including the end marker). */
  tar: Buffer;
  /** Set once bytes after the end marker are more than a little zero padding. */
  trailing: null | { kind: "nonzero" | "too_long"; bytes: number };
}

/**
 * Follows the block structure of a decompressed tar stream exactly as
 * node-tar's parser does (headers decoded by node-tar's own `Header`, with
 * pax `size` overrides and GNU long names applied the same way), so the
 * extractor can stop feeding the parser at the end-of-archive marker (two
 * zero blocks) instead of letting it buffer whatever follows. Bytes after the
 * marker are counted: zeros up to {@link MAX_TRAILING_ZERO_BYTES} are record
 * padding; anything else is reported. Cost is linear: bodies are skipped by
 * arithmetic, only header blocks and extended-header bodies are read.
 */
export class TarFraming {
  private pending: Buffer | null = null;
  private bodyLeft = 0;
  private metaLeft = 0;
  private metaType: string | null = null;
  private meta: Buffer[] = [];
  private ex: PaxFields | undefined;
  private gex: PaxFields | undefined;
  private sawNullBlock = false;
  private ended = false;
  /** Bytes seen after the end-of-archive marker. */
  trailingBytes = 0;

  /** True once the end-of-archive marker has passed. */
  get atEnd(): boolean {
    return this.ended;
  }

  /** Splits `chunk` into tar bytes (for the parser) and trailing bytes (checked here). */
  push(chunk: Buffer): FramingStep {
    if (this.ended) return { tar: chunk.subarray(0, 0), trailing: this.checkTrailing(chunk) };
    let pos = 0;
    while (pos < chunk.length && !this.ended) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - pos);
        if (this.metaLeft > 0) {
          const m = Math.min(this.metaLeft, take);
          this.meta.push(chunk.subarray(pos, pos + m));
          this.metaLeft -= m;
        }
        this.bodyLeft -= take;
        pos += take;
        if (this.bodyLeft === 0 && this.metaType) this.applyMeta();
        continue;
      }
      // A header block, possibly split across chunks.
      let block: Buffer;
      if (this.pending) {
        const need = TAR_BLOCK - this.pending.length;
        const part = chunk.subarray(pos, pos + need);
        pos += part.length;
        this.pending = Buffer.concat([this.pending, part]);
        if (this.pending.length < TAR_BLOCK) break;
        block = this.pending;
        this.pending = null;
      } else if (chunk.length - pos < TAR_BLOCK) {
        this.pending = Buffer.from(chunk.subarray(pos));
        pos = chunk.length;
        break;
      } else {
        block = chunk.subarray(pos, pos + TAR_BLOCK);
        pos += TAR_BLOCK;
      }
      this.header(block);
    }
    const tar = chunk.subarray(0, pos);
    const rest = chunk.subarray(pos);
    return { tar, trailing: rest.length > 0 ? this.checkTrailing(rest) : null };
  }

  private header(block: Buffer): void {
    const h = new Header(block, 0, this.ex, this.gex);
    if (h.nullBlock) {
      if (this.sawNullBlock) this.ended = true;
      this.sawNullBlock = true;
      return;
    }
    this.sawNullBlock = false;
    const size = typeof h.size === "number" && Number.isFinite(h.size) && h.size > 0 ? h.size : 0;
    this.bodyLeft = Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
    const type = String(h.type);
    if (META_TYPES.has(type)) {
      // node-tar ignores an oversized extended header (and the extractor refuses it).
      if (size > 0 && size <= MAX_META_ENTRY) {
        this.metaType = type;
        this.metaLeft = size;
        this.meta = [];
      }
    } else {
      this.ex = undefined;
    }
  }

  private applyMeta(): void {
    const text = Buffer.concat(this.meta).toString("utf8");
    const type = this.metaType;
    this.metaType = null;
    this.meta = [];
    if (type === "ExtendedHeader" || type === "OldExtendedHeader") this.ex = Pax.parse(text, this.ex, false);
    else if (type === "GlobalExtendedHeader") this.gex = Pax.parse(text, this.gex, true);
    else {
      const ex = this.ex ?? (Object.create(null) as PaxFields);
      if (type === "NextFileHasLongLinkpath") ex.linkpath = text.replace(/\0.*/, "");
      else ex.path = text.replace(/\0.*/, "");
      this.ex = ex;
    }
  }

  private checkTrailing(rest: Buffer): FramingStep["trailing"] {
    const before = this.trailingBytes;
    this.trailingBytes += rest.length;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] !== 0) return { kind: "nonzero", bytes: before + i };
      if (before + i >= MAX_TRAILING_ZERO_BYTES) return { kind: "too_long", bytes: this.trailingBytes };
    }
    return null;
  }
}
