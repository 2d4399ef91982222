/** Deepest path accepted in a bundle (number of `/`-separated segments). */
export const MAX_PATH_DEPTH = 16;
/** Longest single path segment accepted, in UTF-8 bytes (common NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255;
/** Longest whole path accepted, in UTF-8 bytes. */
export const MAX_PATH_BYTES = 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Outcome of {@link checkEntryPath}: `null` when the path is safe. */
export type PathProblem = null | "unsafe_path" | "too_deep";

// Control characters (C0, DEL, C1) are refused: they break logs and terminals
// and no legitimate bundle file needs them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a relative bundle path (a `files[].path`, or a tar entry name once
 * {@link normalizeEntryPath} has removed its `.` segments and a directory's
 * trailing slash) against the path rules of docs/bundle-format.md. Rejected
 * as `unsafe_path`: empty, absolute (`/x`, `C:x`), a `..` or `.` segment, an
 * empty segment (`a//b`, trailing `/`), a NUL or other control character, a
 * backslash, a lone surrogate, a segment over 255 bytes or a path over 1024
 * bytes. Rejected as `too_deep`: more than 16 segments. Never throws.
 *
 * Cost is linear in the path and bounded: anything longer than the byte cap
 * is refused before any other work (a UTF-16 unit is at least one UTF-8 byte),
 * and depth is counted by one scan before the path is split.
 */
export function checkEntryPath(path: string): PathProblem {
  if (typeof path !== "string" || path.length === 0) return "unsafe_path";
  if (path.length > MAX_PATH_BYTES) return "unsafe_path";
  if (path.includes("\\") || CONTROL.test(path)) return "unsafe_path";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "unsafe_path";
  if (LONE_SURROGATE.test(path)) return "unsafe_path";
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return "unsafe_path";
  let depth = 1;
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) depth++;
  const segments = path.split("/");
  for (const seg of segments) {
    if (seg === "" || seg === "." || seg === "..") return "unsafe_path";
    if (Buffer.byteLength(seg) > MAX_SEGMENT_BYTES) return "unsafe_path";
  }
  if (depth > MAX_PATH_DEPTH) return "too_deep";
  return null;
}

/** Outcome of {@link normalizeEntryPath}. */
export type NormalizedEntryPath =
  | { ok: true; path: string }
  | { ok: true; path: null }
  | { ok: false; problem: "unsafe_path" | "too_deep" };

/**
 * Normalises a tar entry name the way ordinary tools write it, then applies
 * {@link checkEntryPath}: a directory's one trailing `/` and every `.`
 * segment (`./memories.db`, `a/./b`, as `tar -C dir -czf x.tgz .` writes
 * them) are removed. The bare `.`/`./` entry is the extraction root itself:
 * `{ok: true, path: null}` (nothing to create). Everything else
 * (`..`, `a//b`, absolute, …) is left for `checkEntryPath` to refuse. Linear
 * in the name, and names far over the byte cap are refused before any work.
 */
export function normalizeEntryPath(raw: string, isDirectory: boolean): NormalizedEntryPath {
  // `./` prefixes may legitimately add a few bytes over the cap, not kilobytes.
  if (typeof raw !== "string" || raw.length > 2 * MAX_PATH_BYTES) return { ok: false, problem: "unsafe_path" };
  let p = isDirectory && raw.endsWith("/") ? raw.slice(0, -1) : raw;
  if (p === "." || p === "") return p === "." ? { ok: true, path: null } : { ok: false, problem: "unsafe_path" };
  if (p.startsWith("./") || p.includes("/./") || p.endsWith("/.")) {
    // Empty segments stay (`.//x` becomes `/x`), so checkEntryPath still refuses them.
    p = p
      .split("/")
      .filter((s) => s !== ".")
      .join("/");
    if (p === "") return { ok: true, path: null };
  }
  const problem = checkEntryPath(p);
  return problem ? { ok: false, problem } : { ok: true, path: p };
}

/**
 * Every proper ancestor directory of a safe relative path, outermost first.
 * Linear in the path for the bounded depths the path rules allow.
 */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) out.push(path.slice(0, i));
  return out;
}
