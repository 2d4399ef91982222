import type Database from "better-sqlite3";
import type { BuildStep } from "./build-steps";
import type { Embedder } from "./embed/embedder";
import type { MemoryRecord } from "./records";
import { buildIndexBlobs, writeIndexBlobs } from "./vector-index";

/** What the vector build step did (filled in when the step runs). */
export interface VectorBuildResult { embedder: string; dims: number; count: number; lists: number; bytes: number }

/** An embedder that can also embed synchronously (the offline default): it runs inside the build transaction. */
export interface SyncEmbedder extends Embedder { embedOne(text: string): Float32Array }

/** The text a memory is embedded from: its text and its entities. */
export function memoryEmbedText(text: string, entities: readonly string[]): string {
  return entities.length ? `${text} ${entities.join(" ")}` : text;
}

function isSync(e: Embedder): e is SyncEmbedder {
  return typeof (e as Partial<SyncEmbedder>).embedOne === "function";
}

/**
 * Embeds `records` ahead of the build with an asynchronous embedder (e.g. an
 * endpoint), `batchSize` texts per call (default 64). Keyed by memory id.
 */
export async function embedRecords(records: readonly MemoryRecord[], embedder: Embedder, opts: { batchSize?: number; signal?: AbortSignal } = {}): Promise<Map<string, Float32Array>> {
  const batch = opts.batchSize ?? 64;
  const out = new Map<string, Float32Array>();
  for (let i = 0; i < records.length; i += batch) {
    const slice = records.slice(i, i + batch);
    const vectors = await embedder.embed(slice.map((r) => memoryEmbedText(r.text, r.entities ?? [])), opts.signal);
    slice.forEach((r, j) => out.set(r.id, vectors[j]!));
  }
  return out;
}

/**
 * The build step that stores the vector index (vector-index.ts) in
 * `memory_vectors` and `meta.embedder`: with a {@link SyncEmbedder} it embeds
 * every row itself; otherwise `precomputed` (from {@link embedRecords}) must
 * hold a vector for every memory id. `result` is filled in when the step runs.
 */
export function vectorBuildStep(embedder: Embedder, precomputed?: ReadonlyMap<string, Float32Array>): { step: BuildStep; result: VectorBuildResult } {
  const result: VectorBuildResult = { embedder: embedder.id, dims: 0, count: 0, lists: 0, bytes: 0 };
  const step: BuildStep = (db: Database.Database) => {
    const rowids: number[] = [];
    const vectors: Float32Array[] = [];
    const rows = db.prepare("SELECT rowid, id, text, entities FROM memories ORDER BY rowid").iterate() as IterableIterator<{ rowid: number; id: string; text: string; entities: string }>;
    for (const r of rows) {
      let v: Float32Array | undefined;
      if (precomputed) v = precomputed.get(r.id);
      else if (isSync(embedder)) v = embedder.embedOne(memoryEmbedText(r.text, JSON.parse(r.entities) as string[]));
      if (!v) throw new Error(`no vector for memory ${JSON.stringify(r.id)}`);
      rowids.push(r.rowid);
      vectors.push(v);
    }
    if (vectors.length === 0) return;
    const dims = vectors[0]!.length;
    if (vectors.some((v) => v.length !== dims)) throw new Error("the embedder answered vectors of differing length");
    const blobs = buildIndexBlobs(embedder.id, dims, rowids, vectors);
    writeIndexBlobs(db, blobs);
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('embedder', ?)").run(embedder.id);
    result.dims = dims;
    result.count = vectors.length;
    result.lists = (JSON.parse(blobs.get("info")!.toString("utf8")) as { lists: number }).lists;
    for (const b of blobs.values()) result.bytes += b.byteLength;
  };
  return { step, result };
}

/** True when `e` embeds synchronously (no need to embed records ahead of the build). */
export { isSync as isSyncEmbedder };
