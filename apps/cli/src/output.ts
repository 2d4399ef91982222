import type { Writable } from "node:stream";

type Paint = (s: string) => string;

/** ANSI styles; every one is the identity when colour is off. */
export interface Style {
  enabled: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
  magenta: Paint;
}

const sgr = (open: number, close: number): Paint => (s) => `\u001b[${open}m${s}\u001b[${close}m`;
const id: Paint = (s) => s;

/** Builds a {@link Style}; `enabled: false` makes every paint a no-op. */
export function makeStyle(enabled: boolean): Style {
  if (!enabled) return { enabled, bold: id, dim: id, red: id, green: id, yellow: id, cyan: id, magenta: id };
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
  };
}

/**
 * Colour decision: off with `--no-color` or a non-empty `NO_COLOR`
 * (no-color.org); on with `FORCE_COLOR` (not "0"); else on exactly when the
 * stream is a TTY and `TERM` is not `dumb`.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: Record<string, string | undefined>, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;]*m/g;

/** Display width of a string: ANSI sequences count 0, wide (CJK, emoji) characters 2. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s.replace(ANSI_RE, "")) {
    const cp = ch.codePointAt(0)!;
    if (cp < 32 || (cp >= 0x300 && cp <= 0x36f)) continue;
    w += (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd)
      ? 2
      : 1;
  }
  return w;
}

/** Pads `s` with spaces to `width` display columns (left-aligned, or right with `right`). */
export function pad(s: string, width: number, right = false): string {
  const fill = " ".repeat(Math.max(0, width - displayWidth(s)));
  return right ? fill + s : s + fill;
}

/** Cuts `s` to at most `width` display columns, ending with `…` when cut. */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = "";
  let w = 0;
  for (const ch of s) {
    const cw = displayWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/**
 * Renders rows as aligned columns separated by two spaces. `right` lists the
 * column indexes to right-align (numbers). The last column is not padded.
 */
export function table(rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(c))));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 && !right.includes(i) ? c : pad(c, widths[i]!, right.includes(i))))
      .join("  ")
      .trimEnd(),
  );
}

/** Where a command writes: stdout/stderr plus the colour style of each. */
export interface Output {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Style for stdout. */
  style: Style;
  /** Style for stderr (progress bars, errors). */
  errStyle: Style;
  json: boolean;
  /** Writes one line to stdout. */
  line(s?: string): void;
  /** Writes one line to stderr. */
  err(s?: string): void;
  /** Writes a value as pretty JSON to stdout. */
  printJson(v: unknown): void;
}

/**
 * Builds an {@link Output} over two streams. `stderr` is touched only when
 * something is written to it or its style is read: setting up
 * `process.stderr` costs a few ms of start-up that a successful query never needs.
 */
export function makeOutput(opts: {
  stdout: Output["stdout"];
  stderr: Output["stderr"];
  env: Record<string, string | undefined>;
  noColor: boolean;
  json: boolean;
}): Output {
  const style = makeStyle(!opts.json && colorEnabled(opts.stdout, opts.env, opts.noColor));
  let errStyle: Style | undefined;
  return {
    stdout: opts.stdout,
    get stderr() {
      return opts.stderr;
    },
    style,
    get errStyle() {
      return (errStyle ??= makeStyle(colorEnabled(opts.stderr, opts.env, opts.noColor)));
    },
    json: opts.json,
    line: (s = "") => void opts.stdout.write(`${s}\n`),
    err: (s = "") => void opts.stderr.write(`${s}\n`),
    printJson: (v) => void opts.stdout.write(`${JSON.stringify(v, null, 2)}\n`),
  };
}

/** `1.2 MiB`, `830 B` */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** `45s`, `3m 20s`, `2h 5m`, `4d 1h` */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** "3 minutes ago" style age of an ISO time relative to `now`; the ISO string itself when unparsable. */
export function formatAge(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = now - t;
  if (d < 0) return `in ${formatDuration(-d)}`;
  if (d < 5000) return "just now";
  return `${formatDuration(d)} ago`;
}
