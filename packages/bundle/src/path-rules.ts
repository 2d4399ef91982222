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
 * Checks a relative bundle path (a `files[].path` or a tar entry name, without
 * a directory's trailing slash) against SPEC §3.3. Rejected as `unsafe_path`:
 * empty, absolute (`/x`, `C:x`), a `..` or `.` segment, an empty segment
 * (`a//b`, trailing `/`), a NUL or other control character, a backslash, a
 * lone surrogate, a segment over 255 bytes or a path over 1024 bytes.
 * Rejected as `too_deep`: more than 16 segments. Never throws.
 */
export function checkEntryPath(path: string): PathProblem {
  if (typeof path !== "string" || path.length === 0) return "unsafe_path";
  if (path.includes("\\") || CONTROL.test(path)) return "unsafe_path";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "unsafe_path";
  if (LONE_SURROGATE.test(path)) return "unsafe_path";
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return "unsafe_path";
  const segments = path.split("/");
  for (const seg of segments) {
    if (seg === "" || seg === "." || seg === "..") return "unsafe_path";
    if (Buffer.byteLength(seg) > MAX_SEGMENT_BYTES) return "unsafe_path";
  }
  if (segments.length > MAX_PATH_DEPTH) return "too_deep";
  return null;
}

/** Every proper ancestor directory of a safe relative path, outermost first. */
export function ancestorsOf(path: string): string[] {
  const segs = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) out.push(segs.slice(0, i).join("/"));
  return out;
}
