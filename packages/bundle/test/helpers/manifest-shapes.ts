/**
 * Worst-shape `manifest.json` texts of about `n` bytes, for the cost tests and
 * the cost bench: each one targets a place where a parser of outside bytes
 * can go super-linear (path rules, zod issues, JSON nesting, key counts,
 * signatures, long strings).
 */
const HEX = "a".repeat(64);

function head(extra = ""): string {
  return `{"format":1,"bundle_id":"b1","schema_version":"1.0.0","created_at":"2026-11-26T08:00:00Z","archive":{"path":"bundle-b1.tar.gz","size":1,"sha256":"${HEX}"}${extra}`;
}

function repeatTo(n: number, unit: string, sep = ","): string {
  const count = Math.max(1, Math.floor(n / (unit.length + sep.length)));
  return Array.from({ length: count }, () => unit).join(sep);
}

function numbered(n: number, make: (i: number) => string): string {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const s = make(i);
    parts.push(s);
    len += s.length + 1;
  }
  return parts.join(",");
}

/** name → (approximate byte size) → manifest JSON text. */
export const MANIFEST_SHAPES: Record<string, (n: number) => string> = {
  "one deep path a/a/a/…": (n) => `${head()},"files":[{"path":"${"a/".repeat(Math.floor(n / 2))}a","size":1,"sha256":"${HEX}"}]}`,
  "one flat path aaa…": (n) => `${head()},"files":[{"path":"${"a".repeat(n)}","size":1,"sha256":"${HEX}"}]}`,
  "one path ./././…": (n) => `${head()},"files":[{"path":"${"./".repeat(Math.floor(n / 2))}a","size":1,"sha256":"${HEX}"}]}`,
  "many tiny valid files": (n) =>
    `${head()},"files":[${numbered(n, (i) => `{"path":"f${i}","size":0,"sha256":"${HEX}"}`)}]}`,
  "many 16-deep files (file-as-dir check)": (n) =>
    `${head()},"files":[${numbered(n, (i) => `{"path":"${"d/".repeat(15)}f${i}","size":0,"sha256":"${HEX}"}`)}]}`,
  "many duplicate files": (n) =>
    `${head()},"files":[${repeatTo(n, `{"path":"a","size":0,"sha256":"${HEX}"}`)}]}`,
  "many invalid files (zod issue flood)": (n) =>
    `${head()},"files":[${repeatTo(n, `{"path":"../x","size":-1,"sha256":"Z","q":1}`)}]}`,
  "files as a flat array of numbers": (n) => `${head()},"files":[${repeatTo(n, "0")}]}`,
  "deeply nested JSON arrays": (n) => `${head()},"files":${"[".repeat(Math.floor(n / 2))}${"]".repeat(Math.floor(n / 2))}}`,
  "deeply nested JSON objects in an unknown field": (n) =>
    `${head()},"x":${'{"a":'.repeat(Math.floor(n / 6))}0${"}".repeat(Math.floor(n / 6))},"files":[]}`,
  "many unknown top-level keys": (n) => `${head()},${numbered(n, (i) => `"k${i}":0`)},"files":[]}`,
  "many unknown keys in one file": (n) =>
    `${head()},"files":[{"path":"a","size":0,"sha256":"${HEX}",${numbered(n, (i) => `"k${i}":0`)}}]}`,
  "many signatures": (n) =>
    `${head()},"files":[{"path":"a","size":0,"sha256":"${HEX}"}],"signatures":[${numbered(
      n,
      (i) => `{"keyid":"${i.toString(16).padStart(16, "0")}","alg":"ed25519","sig":"${"A".repeat(86)}=="}`,
    )}]}`,
  "huge string in every field": (n) => {
    const s = "9".repeat(Math.floor(n / 8));
    return `{"format":1,"bundle_id":"${s}","schema_version":"1.0.0-${s}","created_at":"2026-11-26T08:00:00${s}Z","tenant":"${s}","archive":{"path":"https://x.example/${s}","size":1,"sha256":"${s}"},"files":[{"path":"${s}","size":1,"sha256":"${HEX}"}],"signatures":[{"keyid":"${s}","alg":"ed25519","sig":"${s}"}]}`;
  },
  "huge number literal": (n) => `${head()},"files":[{"path":"a","size":1${"0".repeat(n)},"sha256":"${HEX}"}]}`,
  "huge escaped string": (n) => `${head()},"files":[{"path":"${"\\u0041".repeat(Math.floor(n / 6))}","size":1,"sha256":"${HEX}"}]}`,
};
