import { closeSync, fstatSync, lstatSync, openSync, readSync, constants as fsc } from "node:fs";
import Database from "better-sqlite3";
import { fillMemoriesDb } from "./memories-db";
import { SCHEMA_VERSION } from "./schema";

/** Most `sqlite_master` rows a bundle database may hold (checked from page 1's raw bytes, before SQLite parses the schema). */
export const MAX_SCHEMA_OBJECTS = 200;
/** Most bytes of schema records page 1 may announce (same raw check). */
export const MAX_SCHEMA_BYTES = 256 * 1024;
/** Most rows the `meta` table may hold. */
export const MAX_META_ROWS = 64;
/** Largest `meta` key + value, in bytes. */
export const MAX_META_ENTRY_BYTES = 64 * 1024;

/** One `sqlite_master` row, with its SQL whitespace-normalised. */
export interface SchemaObject { type: string; name: string; tbl_name: string; sql: string | null }

/** What {@link checkBundleDatabase} decides. */
export type DbCheck = { ok: true } | { ok: false; message: string };

/** Tables the query path reads: a bundle without one of them (or an FTS5 shadow table of `memories_fts`) is refused. */
const REQUIRED_TABLES = ["meta", "memories", "memory_entities", "memories_fts"] as const;

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");

function normaliseSql(sql: string | null): string | null {
  return sql === null ? null : sql.replace(/\s+/g, " ").trim();
}

/** A name from the file, quoted and cut short: it ends up in /health and logs. */
function show(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

/** The kind of a schema object, as the file spells it, cut to letters. */
function kindOf(o: SchemaObject): string {
  return o.type.replace(/[^a-z]/gi, "").slice(0, 16) || "object";
}

function keyOf(o: SchemaObject): string {
  return JSON.stringify([o.type, o.name, o.tbl_name, o.sql]);
}

/**
 * Reads `sqlite_master` of an open connection, normalised and sorted. The
 * caller must have checked the schema's size first (see {@link readHeader}).
 */
export function readSchema(db: Database.Database): SchemaObject[] {
  const rows = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master").all() as SchemaObject[];
  return rows.map((r) => ({ type: r.type, name: r.name, tbl_name: r.tbl_name, sql: normaliseSql(r.sql) }))
    .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

interface Expected { objects: Map<string, SchemaObject>; required: Set<string>; page1Leaf: boolean }
let expectedCache: Expected | undefined;

/**
 * The schema `tlm bundle build` writes, derived by running the builder's own
 * database writer ({@link fillMemoriesDb}) over zero records in an in-memory
 * database: whatever the build adds (indexes, tables), this follows. Cached.
 * No file is written (≈ 1 ms instead of 6–15 ms for a temporary file, and a
 * read-only root file system needs no scratch directory).
 */
export function expectedSchema(): Expected {
  if (expectedCache) return expectedCache;
  const db = new Database(":memory:");
  try {
    fillMemoriesDb(db, [], { bundleId: "schema-probe", schemaVersion: SCHEMA_VERSION });
    // Page 1's b-tree page type, as a file of this database would have it (`serialize` gives the file's bytes).
    const page1Type = db.serialize()[100];
    const objects = new Map(readSchema(db).map((o) => [keyOf(o), o]));
    const required = new Set<string>();
    for (const o of objects.values()) {
      // The FTS5 shadow tables are named `<fts table>_<suffix>`; they are as required as the index itself.
      if (REQUIRED_TABLES.some((t) => o.name === t || (o.name.startsWith("memories_fts_") && o.type === "table"))) required.add(keyOf(o));
    }
    expectedCache = { objects, required, page1Leaf: page1Type === 0x0d };
    return expectedCache;
  } finally {
    db.close();
  }
}

function varint(buf: Buffer, at: number): { value: number; next: number } | null {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    const b = buf[at + i];
    if (b === undefined) return null;
    if (i === 8) return { value: value * 256 + b, next: at + 9 };
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return null;
}

/**
 * Checks the file's raw bytes before SQLite reads it: a regular file (not a
 * link, not a device), the SQLite magic, a valid page size, rollback-journal
 * mode (as the build writes it), a size that is a whole number of pages and
 * not shorter than the header says (a truncated copy), and a schema page whose
 * object count and record bytes are under the caps. Returns the refusal, or null.
 */
export function checkFileHeader(path: string): string | null {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    return `memories.db is missing or unreadable: ${(e as Error).message}`;
  }
  if (!st.isFile()) return "memories.db is not a regular file";
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (e) {
    return `memories.db cannot be opened: ${(e as Error).message}`;
  }
  let buf: Buffer;
  let size: number;
  try {
    size = fstatSync(fd).size;
    buf = Buffer.alloc(Math.min(65536, size));
    readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  if (buf.length < 512 || !buf.subarray(0, 16).equals(SQLITE_MAGIC)) return "memories.db is not an SQLite database";
  const rawPage = buf.readUInt16BE(16);
  const pageSize = rawPage === 1 ? 65536 : rawPage;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `memories.db has an invalid page size (${rawPage})`;
  if (buf[18] !== 1 || buf[19] !== 1) return "memories.db is not in rollback-journal mode (a bundle database is written with journal_mode=DELETE)";
  if (size % pageSize !== 0) return `memories.db is truncated (${size} bytes is not a whole number of ${pageSize}-byte pages)`;
  const pages = buf.readUInt32BE(28);
  if (buf.readUInt32BE(24) === buf.readUInt32BE(92) && pages * pageSize > size) {
    return `memories.db is truncated (${size} bytes, the header says ${pages} pages of ${pageSize})`;
  }
  if (buf.length < Math.min(pageSize, size)) return "memories.db is truncated (page 1 is incomplete)";
  const pageType = buf[100];
  if (pageType === 0x05) {
    // The schema spans several pages: only acceptable when the build's own schema does too.
    if (expectedSchema().page1Leaf) return "memories.db has an oversized schema (sqlite_master spans several pages)";
    return null;
  }
  if (pageType !== 0x0d) return "memories.db has a malformed schema page";
  const cells = buf.readUInt16BE(103);
  if (cells > MAX_SCHEMA_OBJECTS) return `memories.db declares ${cells} schema objects, over the cap of ${MAX_SCHEMA_OBJECTS}`;
  let bytes = 0;
  for (let i = 0; i < cells; i++) {
    const ptr = buf.readUInt16BE(108 + 2 * i);
    const len = ptr < pageSize ? varint(buf, ptr) : null;
    if (len === null) return "memories.db has a malformed schema page";
    bytes += len.value;
  }
  if (bytes > MAX_SCHEMA_BYTES) return `memories.db declares ${bytes} bytes of schema, over the cap of ${MAX_SCHEMA_BYTES}`;
  return null;
}

/** Compares a schema with what the build writes: nothing extra, nothing different, every required table present. */
export function compareSchema(actual: readonly SchemaObject[], expected: Expected = expectedSchema()): string | null {
  const seen = new Set<string>();
  for (const o of actual) {
    const k = keyOf(o);
    if (!expected.objects.has(k)) {
      const same = [...expected.objects.values()].find((e) => e.name === o.name);
      return same
        ? `memories.db schema differs from what tlm bundle build writes: ${kindOf(o)} ${show(o.name)} has a different definition`
        : `memories.db schema has an unexpected ${kindOf(o)} ${show(o.name)}`;
    }
    seen.add(k);
  }
  for (const k of expected.required) {
    if (!seen.has(k)) {
      const o = expected.objects.get(k)!;
      return `memories.db schema lacks the ${kindOf(o)} ${show(o.name)}`;
    }
  }
  return null;
}

/**
 * Decides, without trusting anything in it, whether `path` may be served:
 * the raw-byte checks of {@link checkFileHeader}, then a read-only,
 * `query_only`, `trusted_schema=OFF`, `cell_size_check=ON` connection that
 * reads `sqlite_master` only and compares it with the build's schema
 * ({@link compareSchema}), then bounds the `meta` table. No view, trigger or
 * table of the file is ever run before the schema is known to be the build's.
 * Never throws.
 */
export function checkBundleDatabase(path: string): DbCheck {
  const refused = (message: string): DbCheck => ({ ok: false, message });
  try {
    const header = checkFileHeader(path);
    if (header !== null) return refused(header);
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db.pragma("trusted_schema = OFF");
      db.pragma("cell_size_check = ON");
      db.pragma("query_only = ON");
      let schema: SchemaObject[];
      try {
        schema = readSchema(db);
      } catch (e) {
        return refused(`memories.db has an unreadable schema: ${(e as Error).message}`);
      }
      if (schema.length > MAX_SCHEMA_OBJECTS) return refused(`memories.db has ${schema.length} schema objects, over the cap of ${MAX_SCHEMA_OBJECTS}`);
      const mismatch = compareSchema(schema);
      if (mismatch !== null) return refused(mismatch);
      const meta = db.prepare("SELECT count(*) AS n, coalesce(max(octet_length(key) + octet_length(value)), 0) AS widest FROM meta")
        .get() as { n: number; widest: number };
      if (meta.n > MAX_META_ROWS) return refused(`memories.db meta table has ${meta.n} rows, over the cap of ${MAX_META_ROWS}`);
      if (meta.widest > MAX_META_ENTRY_BYTES) return refused(`memories.db meta table has a ${meta.widest}-byte entry, over the cap of ${MAX_META_ENTRY_BYTES}`);
      return { ok: true };
    } finally {
      db.close();
    }
  } catch (e) {
    return refused(`memories.db cannot be read: ${(e as Error).message}`);
  }
}
