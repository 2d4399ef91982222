import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * What a warm-up read brings back: the rows of `memory_vectors` (empty when
 * the bundle has none) and the bytes of a file (the word-vector table).
 */
export interface WarmRead {
  rows?: { key: string; value: Uint8Array }[];
  file?: Uint8Array;
  /** The lexical index's forward chunks (`lex_doc_chunks`), when asked for (`docChunks`); empty when the bundle has none. */
  chunks?: { chunk: number; data: Uint8Array }[];
}

// Runs on the worker thread (CommonJS, eval): a private read-only connection, one SELECT of the vector blobs, one file
// read. Everything slow about loading a bundle's vectors happens here, on the machine's other core.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
try {
  const out = {};
  if (workerData.db) {
    const Database = require(workerData.sqlite);
    const db = new Database(workerData.db, { readonly: true, fileMustExist: true });
    try {
      db.pragma("query_only = ON");
      db.pragma("trusted_schema = OFF");
      db.pragma("mmap_size = 1073741824");
      const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_vectors'").get() !== undefined;
      out.rows = has ? db.prepare("SELECT key, value FROM memory_vectors").all() : [];
    } finally { db.close(); }
  }
  if (workerData.docChunks) {
    const Database = require(workerData.sqlite);
    const db = new Database(workerData.docChunks, { readonly: true, fileMustExist: true });
    try {
      db.pragma("query_only = ON");
      db.pragma("trusted_schema = OFF");
      const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lex_doc_chunks'").get() !== undefined;
      out.chunks = has ? db.prepare("SELECT chunk, data FROM lex_doc_chunks").all() : [];
    } finally { db.close(); }
  }
  if (workerData.file) out.file = readFileSync(workerData.file);
  // Moved, not copied: a structured clone of ~17 MB at 100 k memories is deserialized on the main thread, holding
  // its event loop (the vector warm-up took 470 ms and stalled it 142 ms; moved, 300 and 67 ms). This thread ends right
  // after, so giving up its buffers costs nothing. Only a buffer that is its whole ArrayBuffer moves (never a slice of
  // Node's small-buffer pool); the rest is copied.
  const moved = new Set();
  const own = (b) => b && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && moved.add(b.buffer);
  for (const r of out.rows || []) own(r.value);
  for (const c of out.chunks || []) own(c.data);
  own(out.file);
  parentPort.postMessage({ ok: true, out }, [...moved]);
} catch (e) {
  parentPort.postMessage({ ok: false, message: String((e && e.message) || e) });
}
`;

let sqlitePath: string | undefined;

/** Where better-sqlite3 is installed (the worker requires it by path: an eval'd worker resolves nothing itself). */
function sqliteModule(): string {
  return (sqlitePath ??= createRequire(import.meta.url).resolve("better-sqlite3"));
}

/**
 * Reads the vector blobs of `db` and/or the bytes of `file` on a worker thread
 * and resolves with them; rejects when the worker fails or `signal` aborts (the
 * worker is terminated). The worker never keeps the process alive (unref).
 */
export function warmRead(what: { db?: string; file?: string; docChunks?: string }, signal?: AbortSignal): Promise<WarmRead> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(new Error("warm-up stopped")); return; }
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...what, sqlite: sqliteModule() }, stdout: true, stderr: true });
    } catch (e) {
      reject(e);
      return;
    }
    worker.unref();
    let settled = false;
    const stop = () => { void worker.terminate(); };
    signal?.addEventListener("abort", stop, { once: true });
    worker.once("message", (m: { ok: true; out: WarmRead } | { ok: false; message: string }) => {
      settled = true;
      if (m.ok) resolve(m.out);
      else reject(new Error(m.message));
    });
    worker.once("error", (e) => { settled = true; reject(e); });
    worker.once("exit", (code) => {
      signal?.removeEventListener("abort", stop);
      if (!settled) reject(new Error(`warm-up worker exited (${code}) before answering`));
    });
  });
}
