/**
 * Keeps the last `capacity` lines written to it, and at most `maxBytes` of
 * them (UTF-8): the oldest lines go first; the newest line always stays.
 */
export class OutputRing {
  readonly #capacity: number;
  readonly #maxBytes: number;
  readonly #lines: { text: string; bytes: number }[] = [];
  #bytes = 0;

  constructor(capacity: number, maxBytes = Infinity) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    this.#maxBytes = Math.max(1, maxBytes);
  }

  push(line: string): void {
    const bytes = Buffer.byteLength(line);
    this.#lines.push({ text: line, bytes });
    this.#bytes += bytes;
    while (this.#lines.length > 1 && (this.#lines.length > this.#capacity || this.#bytes > this.#maxBytes)) {
      this.#bytes -= this.#lines.shift()!.bytes;
    }
  }

  /** Bytes (UTF-8) the kept lines hold. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A copy, oldest first. */
  lines(): string[] {
    return this.#lines.map((l) => l.text);
  }
}
