import type Database from "better-sqlite3";
import {
  BM25_WEIGHTS, DEFAULT_CHAMPION_SIZE, DOC_CHUNK_BITS, contribution, encodeChampions, encodeDocChunk, encodeDocTerms,
} from "./lexical-index";

/** Options of {@link buildLexicalIndex}. */
export interface LexicalIndexOptions {
  /** Champion list length (default {@link DEFAULT_CHAMPION_SIZE}); smaller lists make smaller, more approximate indexes. */
  championSize?: number;
}

/** A growable u32 column (the forward index can hold tens of millions of postings). */
class U32Column {
  data = new Uint32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

/** Reads a SQLite varint (the encoding of FTS5's `_docsize` blobs). */
function readSqliteVarint(buf: Buffer, pos: number): [value: number, next: number] {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const byte = buf[pos + i];
    if (byte === undefined) return [v, pos + i];
    v = v * 128 + (byte & 0x7f);
    if (byte < 0x80) return [v, pos + i + 1];
  }
  return [v * 256 + (buf[pos + 8] ?? 0), pos + 9];
}

/** Per-memory token counts over every column, as FTS5's `xColumnSize(-1)` reads them. */
function readDocLengths(db: Database.Database): { lengths: Uint32Array; total: number; rows: number } {
  const maxRowid = (db.prepare("SELECT coalesce(max(id), 0) FROM memories_fts_docsize").pluck().get() as number);
  const lengths = new Uint32Array(maxRowid + 1);
  let total = 0;
  let rows = 0;
  for (const [id, sz] of db.prepare("SELECT id, sz FROM memories_fts_docsize").raw().iterate() as IterableIterator<[number, Buffer]>) {
    let n = 0;
    for (let pos = 0; pos < sz.length;) {
      const [v, next] = readSqliteVarint(sz, pos);
      n += v;
      pos = next;
    }
    lengths[id] = n;
    total += n;
    rows++;
  }
  return { lengths, total, rows };
}

/** Picks the `size` best postings of one token: contribution descending, then row id ascending (the order queries rank in). */
function selectChampions(rowids: Uint32Array, scores: Float64Array, n: number, size: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n > size) {
    // The size-th best score bounds the list: keep everything above it, then ties in row id order.
    const sorted = scores.slice(0, n).sort();
    const cut = sorted[n - size]!;
    let above = 0;
    for (let i = 0; i < n; i++) if (scores[i]! > cut) above++;
    let ties = size - above;
    let k = 0;
    for (let i = 0; i < n && k < size; i++) {
      if (scores[i]! > cut || (scores[i] === cut && ties-- > 0)) order[k++] = i;
    }
    return sortByScore(order.subarray(0, k), rowids, scores);
  }
  return sortByScore(order, rowids, scores);
}

function sortByScore(order: Uint32Array, rowids: Uint32Array, scores: Float64Array): Uint32Array {
  return Uint32Array.from([...order].sort((a, b) => scores[b]! - scores[a]! || rowids[a]! - rowids[b]!));
}

/**
 * The lexical-index build step: reads the finished FTS5 index (every token
 * instance through `fts5vocab`, every length from `memories_fts_docsize`) and
 * writes `lex_terms` (df, idf by SQLite's own `ln()`, champion list),
 * `lex_doc_chunks` (each memory's length and token frequencies, 65 536 memories a row), `lex_blobs`
 * (`doc_lengths`) and the `meta` keys `lex_rows`, `lex_total_tokens`,
 * `lex_champion_size`. Runs inside the caller's transaction, after rows and
 * FTS5 are written. Cost: one pass over the index, memory ∝ postings.
 */
export function buildLexicalIndex(db: Database.Database, opts: LexicalIndexOptions = {}): void {
  const size = opts.championSize ?? DEFAULT_CHAMPION_SIZE;
  const { lengths, total, rows } = readDocLengths(db);
  const avgdl = rows === 0 ? 1 : total / rows;
  const weight: Record<string, number> = { text: BM25_WEIGHTS[0], entities: BM25_WEIGHTS[1] };
  db.exec(`CREATE VIRTUAL TABLE temp.lex_rows USING fts5vocab(main, memories_fts, row);
    CREATE VIRTUAL TABLE temp.lex_instances USING fts5vocab(main, memories_fts, instance)`);
  // idf with SQLite's ln(), the function bm25() calls, so scores match FTS5's bit for bit.
  const idfs = new Map(db.prepare(`SELECT term, CASE WHEN v <= 0 THEN 1e-6 ELSE v END
    FROM (SELECT term, ln((@rows - doc + 0.5) / (doc + 0.5)) AS v FROM temp.lex_rows)`).raw().all({ rows }) as [string, number][]);
  // better-sqlite3 cannot write while a read is being stepped: rows are kept until the pass ends.
  const termRows: [string, number, number, number, Buffer][] = [];

  // Postings of the token being read, and the forward index (memory, token id, weighted frequency) for all tokens.
  let termRowids = new Uint32Array(1024);
  let termWtfs = new Uint32Array(1024);
  let termScores = new Float64Array(1024);
  let n = 0;
  const fwdDoc = new U32Column();
  const fwdTerm = new U32Column();
  const fwdWtf = new U32Column();
  let termId = 0;

  const flush = (token: string) => {
    const idfValue = idfs.get(token) ?? 1e-6;
    for (let i = 0; i < n; i++) termScores[i] = contribution(idfValue, termWtfs[i]!, lengths[termRowids[i]!]!, avgdl);
    const order = selectChampions(termRowids, termScores, n, size);
    const champRowids = new Uint32Array(order.length);
    const champWtfs = new Uint32Array(order.length);
    order.forEach((i, k) => { champRowids[k] = termRowids[i]!; champWtfs[k] = termWtfs[i]!; });
    termRows.push([token, termId, n, idfValue, encodeChampions(champRowids, champWtfs, order.length)]);
    for (let i = 0; i < n; i++) { fwdDoc.push(termRowids[i]!); fwdTerm.push(termId); fwdWtf.push(termWtfs[i]!); }
    termId++;
    n = 0;
  };

  let current: string | null = null;
  for (const [term, doc, col] of db.prepare("SELECT term, doc, col FROM temp.lex_instances").raw().iterate() as IterableIterator<[string, number, string]>) {
    if (term !== current) {
      if (current !== null) flush(current);
      current = term;
    }
    const w = weight[col] ?? 1;
    if (n > 0 && termRowids[n - 1] === doc) {
      termWtfs[n - 1]! += w;
      continue;
    }
    if (n === termRowids.length) {
      const grow = <T extends Uint32Array | Float64Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(a.length * 2); b.set(a); return b; };
      termRowids = grow(termRowids);
      termWtfs = grow(termWtfs);
      termScores = grow(termScores);
    }
    termRowids[n] = doc;
    termWtfs[n] = w;
    n++;
  }
  if (current !== null) flush(current);
  db.exec("DROP TABLE temp.lex_instances; DROP TABLE temp.lex_rows");
  const insertTerm = db.prepare("INSERT INTO lex_terms (token, id, df, idf, champions) VALUES (?, ?, ?, ?, ?)");
  for (const row of termRows) insertTerm.run(...row);

  writeForwardIndex(db, lengths, fwdDoc, fwdTerm, fwdWtf);
  db.prepare("INSERT INTO lex_blobs (name, data) VALUES ('doc_lengths', ?)").run(
    Buffer.from(lengths.buffer, lengths.byteOffset, lengths.byteLength));
  const meta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
  meta.run("lex_rows", String(rows));
  meta.run("lex_total_tokens", String(total));
  meta.run("lex_champion_size", String(size));
}

/** Groups the (memory, token id, frequency) postings by memory (a counting sort; token ids stay ascending) and writes `lex_doc_chunks`. */
function writeForwardIndex(db: Database.Database, lengths: Uint32Array, doc: U32Column, term: U32Column, wtf: U32Column): void {
  const start = new Uint32Array(lengths.length + 1);
  for (let i = 0; i < doc.length; i++) start[doc.data[i]! + 1]!++;
  for (let d = 0; d < lengths.length; d++) start[d + 1]! += start[d]!;
  const fill = start.slice(0, lengths.length);
  const ids = new Uint32Array(doc.length);
  const freqs = new Uint32Array(doc.length);
  for (let i = 0; i < doc.length; i++) {
    const at = fill[doc.data[i]!]!++;
    ids[at] = term.data[i]!;
    freqs[at] = wtf.data[i]!;
  }
  const insert = db.prepare("INSERT INTO lex_doc_chunks (chunk, data) VALUES (?, ?)");
  const chunkSize = 1 << DOC_CHUNK_BITS;
  for (let first = 0; first < lengths.length; first += chunkSize) {
    const blobs: (Buffer | undefined)[] = [];
    for (let d = first; d < Math.min(first + chunkSize, lengths.length); d++) {
      blobs.push(start[d + 1]! > start[d]! ? encodeDocTerms(lengths[d]!, ids, freqs, start[d]!, start[d + 1]!) : undefined);
    }
    insert.run(first >>> DOC_CHUNK_BITS, encodeDocChunk(blobs));
  }
}
