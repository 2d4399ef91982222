import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { Manifest } from "../../src/index";

/**
 * Hand-written tar headers, so tests can build entries that tar libraries
 * refuse to create: traversal, absolute paths, links, devices, lies in sizes.
 */
export interface RawEntry {
  /** Name field (ustar `name`, up to 100 bytes). */
  name: string;
  /** Typeflag: "0" file, "1" hardlink, "2" symlink, "3" char, "4" block, "5" dir, "6" fifo, "x" pax, "L" GNU long name… */
  type?: string;
  body?: Buffer;
  /** Declared size; defaults to the body length. */
  size?: number;
  mode?: number;
  linkname?: string;
  /** ustar prefix field. */
  prefix?: string;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

/** One 512-byte header block with a valid checksum. */
export function rawHeader(e: RawEntry): Buffer {
  const b = Buffer.alloc(512);
  const size = e.size ?? e.body?.length ?? 0;
  b.write(e.name, 0, 100, "utf8");
  b.write(octal(e.mode ?? (e.type === "5" ? 0o755 : 0o644), 8), 100, "ascii");
  b.write(octal(0, 8), 108, "ascii");
  b.write(octal(0, 8), 116, "ascii");
  b.write(octal(size, 12), 124, "ascii");
  b.write(octal(0, 12), 136, "ascii");
  b.write(e.type ?? "0", 156, 1, "latin1");
  if (e.linkname) b.write(e.linkname, 157, 100, "utf8");
  b.write("ustar\u000000", 257, 8, "latin1");
  if (e.prefix) b.write(e.prefix, 345, 155, "utf8");
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return b;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

/** A pax extended header ("x") carrying `fields` for the next entry. */
export function paxEntry(fields: Record<string, string>): RawEntry {
  let body = "";
  for (const [k, v] of Object.entries(fields)) {
    const rec = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(rec) + 1;
    while (String(len).length + Buffer.byteLength(rec) !== len) len += 1;
    body += `${len}${rec}`;
  }
  return { name: "PaxHeader/x", type: "x", body: Buffer.from(body, "utf8") };
}

/** A tar stream of `entries` (header, body, padding), with the two-block end marker unless `eof: false`. */
export function rawTar(entries: RawEntry[], opts: { eof?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(rawHeader(e));
    const body = e.body ?? Buffer.alloc(0);
    parts.push(body, pad(body.length));
  }
  if (opts.eof !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** gzip of a raw tar. */
export function gz(tar: Buffer): Buffer {
  return gzipSync(tar);
}

/** sha256 hex. */
export function sha256(b: Buffer | string): string {
  return createHash("sha256").update(b).digest("hex");
}

/** A file entry with its body. */
export function file(name: string, content: string | Buffer): RawEntry {
  return { name, type: "0", body: Buffer.isBuffer(content) ? content : Buffer.from(content) };
}

/** A manifest whose archive fields match `archive` and whose files are `files` (path → content). */
export function manifestFor(
  archive: Buffer,
  files: Record<string, string | Buffer | { size: number; sha256: string }>,
  overrides: Partial<Manifest> = {},
): Manifest {
  return {
    format: 1,
    bundle_id: "20261126T080000Z",
    schema_version: "1.0.0",
    created_at: "2026-11-26T08:00:00Z",
    archive: { path: "bundle-20261126T080000Z.tar.gz", size: archive.length, sha256: sha256(archive) },
    files: Object.entries(files).map(([path, c]) =>
      typeof c === "string" || Buffer.isBuffer(c)
        ? { path, size: Buffer.byteLength(c), sha256: sha256(c) }
        : { path, ...c },
    ),
    ...overrides,
  };
}
