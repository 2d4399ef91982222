// Worst-shape inputs for the parsers of outside bytes in @recall/bundle: manifest
// JSON texts and bundle archives. Shared by the cost tests (test/integration/
// *-cost.test.ts) and the cost bench (bench/cost.bench.mjs), so both measure
// the same shapes. Plain JS (the bench runs on the built package, without a
// TypeScript loader); types in shapes.d.mts.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { Header, Pax } from "tar";

const HEX = "a".repeat(64);

function manifestHead() {
  return `{"format":1,"bundle_id":"b1","schema_version":"1.0.0","created_at":"2026-11-26T08:00:00Z","archive":{"path":"bundle-b1.tar.gz","size":1,"sha256":"${HEX}"}`;
}

function repeatTo(n, unit, sep = ",") {
  const count = Math.max(1, Math.floor(n / (unit.length + sep.length)));
  return Array.from({ length: count }, () => unit).join(sep);
}

function numbered(n, make) {
  const parts = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const s = make(i);
    parts.push(s);
    len += s.length + 1;
  }
  return parts.join(",");
}

/** Shapes a valid manifest may take (the parser must accept them); every other shape is refused. */
export const VALID_MANIFEST_SHAPES = new Set(["many tiny valid files", "many 16-deep files (file-as-dir check)"]);

/** name → (approximate byte size n) → manifest JSON text of about n bytes. */
export const MANIFEST_SHAPES = {
  "one deep path a/a/a/…": (n) =>
    `${manifestHead()},"files":[{"path":"${"a/".repeat(Math.floor(n / 2))}a","size":1,"sha256":"${HEX}"}]}`,
  "one flat path aaa…": (n) => `${manifestHead()},"files":[{"path":"${"a".repeat(n)}","size":1,"sha256":"${HEX}"}]}`,
  "one path ./././…": (n) =>
    `${manifestHead()},"files":[{"path":"${"./".repeat(Math.floor(n / 2))}a","size":1,"sha256":"${HEX}"}]}`,
  "many tiny valid files": (n) =>
    `${manifestHead()},"files":[${numbered(n, (i) => `{"path":"f${i}","size":0,"sha256":"${HEX}"}`)}]}`,
  "many 16-deep files (file-as-dir check)": (n) =>
    `${manifestHead()},"files":[${numbered(n, (i) => `{"path":"${"d/".repeat(15)}f${i}","size":0,"sha256":"${HEX}"}`)}]}`,
  "many duplicate files": (n) => `${manifestHead()},"files":[${repeatTo(n, `{"path":"a","size":0,"sha256":"${HEX}"}`)}]}`,
  "many invalid files (zod issue flood)": (n) =>
    `${manifestHead()},"files":[${repeatTo(n, `{"path":"../x","size":-1,"sha256":"Z","q":1}`)}]}`,
  "files as a flat array of numbers": (n) => `${manifestHead()},"files":[${repeatTo(n, "0")}]}`,
  "deeply nested JSON arrays": (n) =>
    `${manifestHead()},"files":${"[".repeat(Math.floor(n / 2))}${"]".repeat(Math.floor(n / 2))}}`,
  "deeply nested JSON objects in an unknown field": (n) =>
    `${manifestHead()},"x":${'{"a":'.repeat(Math.floor(n / 6))}0${"}".repeat(Math.floor(n / 6))},"files":[]}`,
  "many unknown top-level keys": (n) => `${manifestHead()},${numbered(n, (i) => `"k${i}":0`)},"files":[]}`,
  "many unknown keys in one file": (n) =>
    `${manifestHead()},"files":[{"path":"a","size":0,"sha256":"${HEX}",${numbered(n, (i) => `"k${i}":0`)}}]}`,
  "many signatures": (n) =>
    `${manifestHead()},"files":[{"path":"a","size":0,"sha256":"${HEX}"}],"signatures":[${numbered(
      n,
      (i) => `{"keyid":"${i.toString(16).padStart(16, "0")}","alg":"ed25519","sig":"${"A".repeat(86)}=="}`,
    )}]}`,
  "huge string in every field": (n) => {
    const s = "9".repeat(Math.floor(n / 8));
    return `{"format":1,"bundle_id":"${s}","schema_version":"1.0.0-${s}","created_at":"2026-11-26T08:00:00${s}Z","tenant":"${s}","archive":{"path":"https://x.example/${s}","size":1,"sha256":"${s}"},"files":[{"path":"${s}","size":1,"sha256":"${HEX}"}],"signatures":[{"keyid":"${s}","alg":"ed25519","sig":"${s}"}]}`;
  },
  "huge number literal": (n) => `${manifestHead()},"files":[{"path":"a","size":1${"0".repeat(n)},"sha256":"${HEX}"}]}`,
  "huge escaped string": (n) =>
    `${manifestHead()},"files":[{"path":"${"\\u0041".repeat(Math.floor(n / 6))}","size":1,"sha256":"${HEX}"}]}`,
};

// ---- archives ----------------------------------------------------------

const BLOCK = 512;

function sha256(b) {
  return createHash("sha256").update(b).digest("hex");
}

function pad(n) {
  return Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);
}

function header(fields) {
  const b = Buffer.alloc(BLOCK);
  new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), uname: "", gname: "", ...fields }).encode(b);
  return b;
}

/** A file entry (header, body, padding). */
function fileEntry(path, body) {
  return [header({ path, type: "File", size: body.length }), body, pad(body.length)];
}

/** A pax extended header holding `fields` (for the next entry). */
function paxEntry(fields) {
  return [new Pax(fields).encode()];
}

/** A GNU long-name entry naming the next entry `path` (its header name is then a dummy). */
function gnuLongName(path) {
  const body = Buffer.from(`${path}\0`);
  return [header({ path: "././@LongLink", type: "NextFileHasLongPath", size: body.length }), body, pad(body.length)];
}

function endOfArchive() {
  return Buffer.alloc(2 * BLOCK);
}

function manifestFor(archive, files) {
  return {
    format: 1,
    bundle_id: "b1",
    schema_version: "1.0.0",
    created_at: "2026-11-26T08:00:00Z",
    archive: { path: "bundle-b1.tar.gz", size: archive.length, sha256: sha256(archive) },
    files: files.map(([path, body]) => ({ path, size: body.length, sha256: sha256(body) })),
  };
}

function bundle(parts, files, extra = {}) {
  const archive = gzipSync(Buffer.concat([...parts.flat(), endOfArchive()]));
  return { archive, manifest: manifestFor(archive, files), expect: "ok", ...extra };
}

/**
 * name → (scale n) → `{archive, manifest, expect, opts?}`: `expect` is "ok" or
 * the reject reason; cost should grow at most linearly with n.
 */
export const ARCHIVE_SHAPES = {
  "one listed file of n MiB of zeros (1000:1 gzip)": (n) => {
    const body = Buffer.alloc(n * 2 ** 20);
    return bundle([fileEntry("memories.db", body)], [["memories.db", body]]);
  },
  "n×40 tiny files, each behind a 6 KiB pax header": (n) => {
    const files = Array.from({ length: n * 40 }, (_, i) => [`f${i}`, Buffer.from(`${i}`)]);
    const parts = files.flatMap(([p, b]) => [...paxEntry({ path: p, comment: "c".repeat(6000) }), ...fileEntry(p, b)]);
    return bundle(parts, files);
  },
  "n×40 files with 1000-byte GNU long names": (n) => {
    const dir = `${"x".repeat(60)}/`.repeat(15);
    const files = Array.from({ length: n * 40 }, (_, i) => [`${dir}${String(i).padStart(90, "f")}`, Buffer.from(`${i}`)]);
    const parts = files.flatMap(([p, b]) => [...gnuLongName(p), ...fileEntry("placeholder", b)]);
    return bundle(parts, files);
  },
  "n×40 files each in its own directory (entry count)": (n) => {
    const files = Array.from({ length: n * 40 }, (_, i) => [`d${i}/f`, Buffer.from(`${i}`)]);
    const parts = files.flatMap(([p, b]) => [
      [header({ path: `${p.split("/")[0]}/`, type: "Directory", size: 0, mode: 0o755 })],
      ...fileEntry(p, b),
    ]);
    return bundle(parts, files);
  },
  "every 512-byte block its own gzip member (n×256 members)": (n) => {
    const body = Buffer.alloc(n * 256 * BLOCK - 3 * BLOCK, 7);
    const tar = Buffer.concat([...fileEntry("memories.db", body), endOfArchive()]);
    const members = [];
    for (let i = 0; i < tar.length; i += BLOCK) members.push(gzipSync(tar.subarray(i, i + BLOCK)));
    const archive = Buffer.concat(members);
    return { archive, manifest: manifestFor(archive, [["memories.db", body]]), expect: "ok" };
  },
  "n MiB of zeros after the end marker": (n) => {
    const body = Buffer.from("db");
    const tar = Buffer.concat([...fileEntry("memories.db", body), endOfArchive(), Buffer.alloc(n * 2 ** 20)]);
    const archive = gzipSync(tar);
    return { archive, manifest: manifestFor(archive, [["memories.db", body]]), expect: "corrupt_archive" };
  },
  "n×16 max-size (64 KiB) pax headers before one file": (n) => {
    const body = Buffer.from("db");
    const parts = Array.from({ length: n * 16 }, (_, i) => paxEntry({ comment: `${i}`.padEnd(64 * 1024 - 100, "z") }));
    const tar = Buffer.concat([...parts.flat(), ...fileEntry("memories.db", body), endOfArchive()]);
    const archive = gzipSync(tar);
    return { archive, manifest: manifestFor(archive, [["memories.db", body]]), expect: "unpacked_too_large" };
  },
};
