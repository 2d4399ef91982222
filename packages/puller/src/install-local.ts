import { createReadStream } from "node:fs";
import { Transform, pipeline } from "node:stream";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parseManifestJson, type Manifest } from "@recall/bundle";
import { realClock, noopAudit, noopLogger } from "./defaults";
import { auditOutcome, decideManifest, extractAndInstall, failed, errCode, withRootLock, type PipelineContext } from "./pipeline";
import type { AuditSink, Clock, Logger, PullOutcome, PullProgress } from "./types";

/** Options of {@link installLocal}: the verify + install subset of the puller's options. */
export interface InstallLocalOptions {
  bundleRoot: string;
  socketPath?: string;
  publicKeys?: readonly string[];
  schemaRange?: string;
  retain?: number;
  maxBytes?: number;
  maxUnpackedBytes?: number;
  /** Tenant fingerprint the manifest's `tenant` must equal, when set. */
  tenant?: string;
  /** Install a bundle older than the highest ever installed (explicit operator choice). Default false. */
  allowRollback?: boolean;
  reloadTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
  audit?: AuditSink;
  logger?: Logger;
  clock?: Clock;
}

/** Finds the manifest and archive of a publish dir, an archive beside its manifest, or a manifest.json path. */
async function locate(
  input: string,
): Promise<{ ok: true; manifest: Manifest; archive: string } | { ok: false; outcome: PullOutcome }> {
  const abs = resolve(input);
  let st;
  try {
    st = await stat(abs);
  } catch {
    return { ok: false, outcome: failed("not_found", "no such file or directory") };
  }
  const dir = st.isDirectory() ? abs : dirname(abs);
  const manifestPath = st.isFile() && basename(abs).endsWith(".json") ? abs : join(dir, "manifest.json");
  let text: Buffer;
  try {
    text = await readFile(manifestPath);
  } catch {
    return { ok: false, outcome: failed("not_found", "no manifest.json next to the archive") };
  }
  const parsed = parseManifestJson(text);
  if (!parsed.ok) return { ok: false, outcome: { outcome: "rejected", reason: parsed.rejection.reason } };
  const m = parsed.manifest;
  if (/^https?:\/\//i.test(m.archive.path)) {
    // a remote archive URL: only the archive given explicitly can be installed locally
    if (!st.isFile() || basename(abs).endsWith(".json")) {
      return { ok: false, outcome: failed("not_found", "the manifest names a remote archive; pass the archive file") };
    }
    return { ok: true, manifest: m, archive: abs };
  }
  const archive = st.isFile() && !basename(abs).endsWith(".json") ? abs : join(dir, m.archive.path);
  return { ok: true, manifest: m, archive };
}

/**
 * Installs a bundle from disk (local mode, `recall bundle install`): a
 * publish directory (`manifest.json` + archive), an archive next to its
 * `manifest.json`, or the manifest path. Same verification (signature,
 * schema range, expiry, tenant, rollback, archive hash, safe extraction) and
 * same atomic install, reload and retention as a pull; same lock (`busy`).
 * Never throws for expected outcomes.
 */
export async function installLocal(archiveOrDir: string, options: InstallLocalOptions): Promise<PullOutcome> {
  const ctx: PipelineContext = {
    bundleRoot: options.bundleRoot,
    socketPath: options.socketPath || undefined,
    publicKeys: [...(options.publicKeys ?? [])],
    schemaRange: options.schemaRange ?? "^1.0.0",
    retain: options.retain ?? 3,
    maxBytes: options.maxBytes ?? 2 * 1024 ** 3,
    maxUnpackedBytes: options.maxUnpackedBytes ?? 8 * 1024 ** 3,
    tenant: options.tenant,
    reloadTimeoutMs: options.reloadTimeoutMs ?? 5000,
    audit: options.audit ?? noopAudit,
    logger: options.logger ?? noopLogger,
    clock: options.clock ?? realClock,
  };
  const found = await locate(archiveOrDir);
  if (!found.ok) {
    auditOutcome(ctx, found.outcome);
    return found.outcome;
  }
  const { manifest, archive } = found;
  const outcome = await withRootLock(ctx, async (snap) => {
    const decision = await decideManifest(ctx, manifest, snap);
    if (decision.kind === "unchanged") return { outcome: "unchanged" };
    if (decision.kind === "rejected") {
      const o = decision.outcome;
      if (!(o.outcome === "rejected" && o.reason === "rollback" && options.allowRollback)) return o;
    }
    let readError: unknown = null;
    let bytes = 0;
    const onProgress = options.onProgress;
    // counts in the stream itself: a "data" listener would switch the file to flowing mode before the extractor reads it
    const source = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        onProgress?.({ phase: "download", bytes, total: manifest.archive.size });
        cb(null, chunk);
      },
    });
    pipeline(createReadStream(archive, { highWaterMark: 256 * 1024 }), source, (err) => {
      if (err) readError ??= err;
    });
    return extractAndInstall(ctx, {
      manifest,
      source,
      sourceFailure: () =>
        readError === null
          ? options.signal?.aborted
            ? { reason: "aborted", message: "aborted" }
            : null
          : { reason: (readError as { code?: string }).code === "ENOENT" ? "not_found" : "io", message: `cannot read the archive (${errCode(readError)})` },
      snap,
      etag: null,
      ...(options.signal ? { signal: options.signal, reloadSignal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  });
  auditOutcome(ctx, outcome, manifest.bundle_id);
  return outcome;
}
