import { chmod, mkdir, realpath, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Readable } from "node:stream";
import { BundleError, BundleRejectedError } from "./errors";
import { Extraction, type SafeExtractResult } from "./extraction";
import type { Manifest } from "./manifest";
import { startGate } from "./start-gate";

export type { SafeExtractResult } from "./extraction";

/** Default cap on tar entries (docs/bundle-format.md). */
export const DEFAULT_MAX_ENTRIES = 100_000;

/** Options of {@link safeExtract}. */
export interface SafeExtractOptions {
  /** Directory to create and fill; it must not exist. Absent again after a rejection. */
  dest: string;
  /** The already parsed (and policy-checked) manifest the archive must match. */
  manifest: Manifest;
  /** Cap on compressed bytes read from `source`, counted as they arrive. */
  maxBytes: number;
  /** Cap on file bytes unpacked. */
  maxUnpackedBytes: number;
  /** Cap on tar entries (files, directories and anything else); default 100 000. */
  maxEntries?: number;
  /** Aborting rejects the bundle with reason `aborted`. */
  signal?: AbortSignal;
  /** Called with the running count of compressed bytes read; errors it throws are ignored. */
  onProgress?: (bytes: number) => void;
}

/**
 * Streams a bundle archive into a new directory `dest` in one pass
 * (source → size/sha256 counter → gunzip → tar parser → files), enforcing every
 * rule of docs/bundle-format.md with its own checks (node-tar is only the parser):
 * regular files and directories only; safe, listed, unique paths; per-file
 * size and sha256; caps on compressed bytes, unpacked bytes and entries; the
 * archive's size and sha256 against the manifest; no listed file missing;
 * nothing but a little zero padding after the tar end-of-archive marker (the
 * parser is not fed past it). `.` segments (`./memories.db`, the `./` root
 * entry, as `tar -C dir -czf x.tgz .` writes them) are normalised away.
 * Files are created with O_EXCL|O_NOFOLLOW as 0644, directories as 0755, and
 * every file and directory is fsynced before success.
 *
 * A bad archive is never thrown: it returns `{ok: false, rejection}` after
 * destroying the source and removing `dest` entirely. It throws a
 * {@link BundleError} only when it cannot do its job for reasons that are not
 * the bundle's fault, after the same cleanup: `BUNDLE_DEST_EXISTS` (`dest` is
 * already there), `BUNDLE_IO` (the source stream failed, or the local
 * filesystem did, e.g. ENOSPC).
 */
export async function safeExtract(
  source: Readable | AsyncIterable<Uint8Array>,
  options: SafeExtractOptions,
): Promise<SafeExtractResult> {
  const opts = Object.freeze({ __proto__: null, ...options }) as SafeExtractOptions;
  const { manifest, maxBytes, maxUnpackedBytes, signal } = opts;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  // Listen before the first await, and stay listening: a source that fails
  // while dest is created, or after we gave up on it, must not crash the process.
  const sourceState: { error: unknown } = { error: null };
  const src = source as Partial<Readable>;
  const onSourceError = (err: unknown): void => {
    sourceState.error ??= err;
  };
  if (typeof src.on === "function") src.on("error", onSourceError);
  const destroySource = (): void => {
    const s = source as Partial<Readable>;
    if (typeof s.destroy === "function" && !s.destroyed) s.destroy();
  };

  const gate = startGate(manifest, { maxBytes, maxUnpackedBytes, maxEntries }, signal?.aborted === true);
  if (!gate.start) {
    destroySource();
    return { ok: false, rejection: gate.rejection };
  }

  const destAbs = resolve(opts.dest);
  let destReal: string;
  let created = false;
  try {
    await mkdir(dirname(destAbs), { recursive: true });
    await mkdir(destAbs, { mode: 0o755 });
    created = true;
    await chmod(destAbs, 0o755);
    destReal = await realpath(destAbs);
  } catch (cause) {
    destroySource();
    if (created) await rm(destAbs, { recursive: true, force: true });
    if ((cause as NodeJS.ErrnoException).code === "EEXIST") {
      throw new BundleError("BUNDLE_DEST_EXISTS", `extraction target already exists: ${destAbs}`, { cause });
    }
    throw new BundleError("BUNDLE_IO", `cannot create extraction target ${destAbs}`, { cause });
  }

  const run = new Extraction({
    destAbs,
    destReal,
    manifest,
    maxBytes,
    maxEntries,
    maxUnpackedBytes,
    declaredTotal: gate.declaredTotal,
    sourceState,
    onProgress: opts.onProgress,
  });
  const onAbort = (): void => run.fail(new BundleRejectedError("aborted", "extraction aborted"));
  signal?.addEventListener("abort", onAbort, { once: true });
  // An abort that landed while dest was being created.
  if (signal?.aborted) onAbort();
  try {
    const outcome = await run.execute(source);
    if (outcome.ok) return outcome;
    destroySource();
    await rm(destAbs, { recursive: true, force: true });
    return outcome;
  } catch (err) {
    destroySource();
    await rm(destAbs, { recursive: true, force: true });
    if (err instanceof BundleError) throw err;
    throw new BundleError("BUNDLE_IO", "bundle extraction failed", { cause: err });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
