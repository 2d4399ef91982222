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

// Characters a terminal may act on, or that reorder or split lines: C0 controls, DEL, C1
// controls, the Unicode line/paragraph separators and the bidi embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// What JSON.stringify leaves raw (it escapes C0 itself; newlines outside strings are layout).
const JSON_UNSAFE_RE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// In a line the layout built: our own SGR colour sequences, or any unsafe character but \n and \t.
// eslint-disable-next-line no-control-regex
const LINE_RE = /\u001b\[[0-9;]{0,12}m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The SGR parameters `makeStyle` emits (bold, dim, their reset, five colours, default colour).
const OWN_SGR = new Set(["1", "2", "22", "31", "32", "33", "35", "36", "39"]);

const uEscape = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * Makes a string from outside (a bundle name, memory text, an entity, a
 * source_ref, a sidecar's or server's message, a config value) safe to print:
 * every C0 control (newline and tab included), DEL, C1 control, U+2028/2029
 * and bidi override or isolate becomes a visible `\uXXXX`. Printable text,
 * CJK and emoji pass unchanged.
 */
export function safeText(s: string): string {
  return s.replace(UNSAFE_RE, uEscape);
}

/**
 * The last guard on every line `Output` writes: keeps newlines, tabs and the
 * colour sequences of {@link makeStyle}, and escapes (as `\uXXXX`) any other
 * control, DEL, C1, separator or bidi character, so a value that skipped
 * {@link safeText} still cannot move the cursor, retitle the window or hide text.
 * In JSON text the escapes are valid JSON string escapes.
 */
export function safeLine(s: string): string {
  return s.replace(LINE_RE, (m) => (m.length > 1 && m.slice(2, -1).split(";").every((p) => OWN_SGR.has(p)) ? m : uEscape(m[0]!) + m.slice(1)));
}

/**
 * JSON for a terminal or a pipe: `JSON.stringify` escapes C0 controls but not
 * DEL, C1, U+2028/2029 or bidi controls; this escapes those too (as `\uXXXX`,
 * so the document parses to the same value).
 */
export function safeJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, null, indent).replace(JSON_UNSAFE_RE, uEscape);
}

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
  /** Writes one line to stdout (through {@link safeLine}). */
  line(s?: string): void;
  /** Writes one line to stderr. */
  err(s?: string): void;
  /** Writes a value as pretty JSON to stdout (through {@link safeJson}). */
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
    line: (s = "") => void opts.stdout.write(`${safeLine(s)}\n`),
    err: (s = "") => void opts.stderr.write(`${safeLine(s)}\n`),
    printJson: (v) => void opts.stdout.write(`${safeJson(v, 2)}\n`),
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
