/** Keeps the last `capacity` lines written to it. */
export class OutputRing {
  readonly #capacity: number;
  readonly #lines: string[] = [];

  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.#capacity) this.#lines.splice(0, this.#lines.length - this.#capacity);
  }

  /** A copy, oldest first. */
  lines(): string[] {
    return [...this.#lines];
  }
}
