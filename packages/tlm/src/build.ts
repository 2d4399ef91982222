import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pack } from "@recall/bundle";
import type { Manifest } from "@recall/bundle";
import { TlmError } from "./errors";
import { readMarkdownDir } from "./markdown";
import { writeMemoriesDb } from "./memories-db";
import { type MemoryRecord, parseJsonl } from "./records";
import { MEMORIES_DB, SCHEMA_VERSION } from "./schema";
import { defaultBuildSteps } from "./build-steps";
import type { Embedder } from "./embed/embedder";
import { embedRecords, isSyncEmbedder, type VectorBuildResult, vectorBuildStep } from "./vector-build";

/** Options of {@link buildBundle}. Exactly one of `from` or `records`. */
export interface BuildOptions {
  /** A `.jsonl` file or a directory of Markdown files. */
  from?: string;
  /** Records given directly (validated by the caller, e.g. {@link generateCorpus}). */
  records?: Iterable<MemoryRecord>;
  /** Publish directory to write `manifest.json` and the archive into. */
  outDir: string;
  /** Default: the UTC time as `YYYYMMDDTHHMMSSZ`. */
  bundleId?: string;
  /** Default {@link SCHEMA_VERSION}. */
  schemaVersion?: string;
  /** PKCS#8 PEM Ed25519 private key to sign the manifest with. */
  signKeyPem?: string;
  /** Absolute expiry of the bundle. */
  expiresAt?: Date;
  tenant?: string;
  /** Time source for the default bundle id. */
  now?: () => Date;
  /** Embed every memory and ship the vector index (see vector-index.ts); the manifest records `embedder`. */
  embedder?: Embedder;
}

/** What {@link buildBundle} produced. */
export interface BuildResult { manifest: Manifest; manifestPath: string; archivePath: string; count: number; dbBytes: number; vectors?: VectorBuildResult }

/** The UTC time as a bundle id, `YYYYMMDDTHHMMSSZ`. */
export function defaultBundleId(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/** Reads records from a `.jsonl` file or a Markdown directory (throws `InvalidRecordError` on a bad record). */
export async function readRecords(from: string): Promise<MemoryRecord[]> {
  let st;
  try {
    st = await stat(from);
  } catch (cause) {
    throw new TlmError("TLM_INVALID_INPUT", `cannot read ${from}: ${(cause as Error).message}`, { cause });
  }
  if (st.isDirectory()) return readMarkdownDir(from);
  return parseJsonl(await readFile(from, "utf8"), basename(from));
}

/**
 * Builds a bundle: validates the records, writes `memories.db` (FTS5 porter
 * unicode61, `meta` table) in a temporary directory, then packs it with
 * `@recall/bundle` into `outDir` (a publish directory: `manifest.json` and
 * `bundle-<id>.tar.gz`). Throws `InvalidRecordError` (line number) or
 * `TlmError` `TLM_BUILD_FAILED`; the temporary directory is always removed.
 */
export async function buildBundle(options: BuildOptions): Promise<BuildResult> {
  const opts = Object.freeze({ __proto__: null, ...options }) as BuildOptions;
  if ((opts.from === undefined) === (opts.records === undefined)) {
    throw new TlmError("TLM_INVALID_INPUT", "give exactly one of `from` or `records`");
  }
  let records = opts.records ?? (await readRecords(opts.from!));
  // An asynchronous embedder (an endpoint) embeds ahead of the synchronous build transaction.
  let precomputed: Map<string, Float32Array> | undefined;
  if (opts.embedder && !isSyncEmbedder(opts.embedder)) {
    const list = [...records];
    records = list;
    try {
      precomputed = await embedRecords(list, opts.embedder);
    } catch (cause) {
      throw new TlmError("TLM_BUILD_FAILED", `embedding the memories failed: ${(cause as Error).message}`, { cause });
    }
  }
  const vectorStep = opts.embedder ? vectorBuildStep(opts.embedder, precomputed) : undefined;
  const bundleId = opts.bundleId ?? defaultBundleId((opts.now ?? (() => new Date()))());
  const schemaVersion = opts.schemaVersion ?? SCHEMA_VERSION;
  const work = await mkdtemp(join(tmpdir(), "tlm-build-"));
  try {
    const dbPath = join(work, MEMORIES_DB);
    let count: number;
    try {
      count = writeMemoriesDb(dbPath, records, { bundleId, schemaVersion },
        vectorStep ? [...defaultBuildSteps(), vectorStep.step] : defaultBuildSteps());
    } catch (cause) {
      throw new TlmError("TLM_BUILD_FAILED", `writing ${MEMORIES_DB} failed: ${(cause as Error).message}`, { cause });
    }
    const dbBytes = (await stat(dbPath)).size;
    const packed = await pack(work, {
      outDir: opts.outDir, bundleId, schemaVersion,
      ...(opts.expiresAt ? { expiresAt: opts.expiresAt.toISOString() } : {}),
      ...(opts.tenant ? { tenant: opts.tenant } : {}),
      ...(vectorStep && vectorStep.result.count > 0 ? { embedder: { id: vectorStep.result.embedder, dims: vectorStep.result.dims } } : {}),
      ...(opts.signKeyPem ? { signKeyPem: opts.signKeyPem } : {}),
    });
    return { manifest: packed.manifest, manifestPath: packed.manifestPath, archivePath: packed.archivePath, count, dbBytes,
      ...(vectorStep ? { vectors: vectorStep.result } : {}) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
