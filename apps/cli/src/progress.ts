import { formatBytes, type Output } from "./output";

/** A pull's progress event (structurally `PullProgress` of @recall/puller). */
export interface ProgressEvent {
  phase: string;
  bytes: number;
  total: number;
}

const PHASE_LABEL: Record<string, string> = {
  manifest: "fetching manifest",
  download: "downloading",
  install: "installing",
  reload: "reloading sidecar",
};

/**
 * A one-line progress bar on stderr, redrawn in place (at most ~12 times a
 * second): phase, bar, percent, bytes/total and rate. `update` is a no-op when
 * stderr is not a TTY; `done` clears the line.
 */
export class ProgressBar {
  readonly #out: Output;
  readonly #enabled: boolean;
  readonly #now: () => number;
  #lastDraw = 0;
  #phase = "";
  #phaseStart = 0;
  #drawn = false;

  constructor(out: Output, opts: { enabled?: boolean; now?: () => number } = {}) {
    this.#out = out;
    this.#enabled = opts.enabled ?? Boolean(out.stderr.isTTY);
    this.#now = opts.now ?? (() => performance.now());
  }

  /** Renders one frame as text (exposed for tests); `width` is the terminal width. */
  static frame(e: ProgressEvent, elapsedMs: number, width: number): string {
    const label = (PHASE_LABEL[e.phase] ?? e.phase).padEnd(17);
    if (e.phase !== "download") return `${label} …`;
    const rate = elapsedMs > 0 ? (e.bytes / elapsedMs) * 1000 : 0;
    const amount = e.total > 0 ? `${formatBytes(e.bytes)} / ${formatBytes(e.total)}` : formatBytes(e.bytes);
    const tail = `${amount}  ${formatBytes(Math.round(rate))}/s`;
    if (e.total <= 0) return `${label} ${tail}`;
    const frac = Math.min(1, e.bytes / e.total);
    const pct = `${String(Math.floor(frac * 100)).padStart(3)}%`;
    // a fixed tail width keeps the bar from jumping as the numbers grow
    const tailW = Math.max(tail.length, 34);
    const barW = Math.max(10, Math.min(40, width - label.length - tailW - pct.length - 7));
    const full = Math.round(frac * barW);
    return `${label} [${"█".repeat(full)}${"░".repeat(barW - full)}] ${pct}  ${tail}`;
  }

  /** Records an event and redraws when due (always on a phase change). */
  update(e: ProgressEvent): void {
    if (!this.#enabled) return;
    const now = this.#now();
    if (e.phase !== this.#phase) {
      this.#phase = e.phase;
      this.#phaseStart = now;
    } else if (e.phase !== "download" || (now - this.#lastDraw < 80 && e.bytes < e.total)) return;
    this.#lastDraw = now;
    const width = this.#out.stderr.columns || 80; // 0 under some pseudo-terminals
    const text = ProgressBar.frame(e, now - this.#phaseStart, width).slice(0, width - 1);
    this.#out.stderr.write(`\r\u001b[2K${this.#out.errStyle.cyan(text)}`);
    this.#drawn = true;
  }

  /** Clears the bar's line. */
  done(): void {
    if (this.#drawn) this.#out.stderr.write("\r\u001b[2K");
    this.#drawn = false;
  }
}
