/** Appended to a line cut at the length cap. */
export const TRUNCATED_MARKER = "… [truncated]";

/**
 * Splits a byte stream into lines without ever holding more than `maxLineBytes`
 * of one line: a longer line is emitted once, cut at the cap and ending with
 * {@link TRUNCATED_MARKER}, as soon as it passes the cap; the rest of it, up to
 * the next newline, is dropped as it arrives. A trailing `\r` is removed.
 * (execa's line iteration keeps a whole line in memory until its newline, so a
 * child printing 50 MB without one would be buffered whole: this is why the
 * sidecar splits its output here.)
 */
export class BoundedLineSplitter {
  readonly #max: number;
  readonly #emit: (line: string) => void;
  #parts: Buffer[] = [];
  #size = 0;
  #discarding = false;

  constructor(maxLineBytes: number, emit: (line: string) => void) {
    this.#max = Math.max(1, Math.floor(maxLineBytes));
    this.#emit = emit;
  }

  /** Feeds one chunk; emits every line it completes (or cuts). */
  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.#discarding) this.#append(chunk.subarray(pos, end));
      if (nl === -1) return;
      if (this.#discarding) this.#discarding = false;
      else this.#flush(false);
      pos = nl + 1;
    }
  }

  /** Emits what is left of an unterminated last line. */
  end(): void {
    if (!this.#discarding && this.#size > 0) this.#flush(false);
    this.#discarding = false;
  }

  #append(bytes: Buffer): void {
    const room = this.#max - this.#size;
    if (bytes.length <= room) {
      if (bytes.length > 0) {
        this.#parts.push(Buffer.from(bytes));
        this.#size += bytes.length;
      }
      return;
    }
    if (room > 0) {
      this.#parts.push(Buffer.from(bytes.subarray(0, room)));
      this.#size += room;
    }
    this.#flush(true);
    this.#discarding = true;
  }

  #flush(truncated: boolean): void {
    let bytes = Buffer.concat(this.#parts, this.#size);
    if (truncated) bytes = bytes.subarray(0, utf8Boundary(bytes));
    let text = bytes.toString("utf8");
    this.#parts = [];
    this.#size = 0;
    if (!truncated && text.endsWith("\r")) text = text.slice(0, -1);
    this.#emit(truncated ? text + TRUNCATED_MARKER : text);
  }
}

/** Length of `b` without a UTF-8 sequence cut short at its end (a cut never splits a character). */
function utf8Boundary(b: Buffer): number {
  for (let back = 1; back <= Math.min(4, b.length); back++) {
    const byte = b[b.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? b.length - back : b.length;
  }
  return b.length;
}
