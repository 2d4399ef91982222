import { join } from "node:path";
import type { Readable } from "node:stream";
import { checkManifestPolicy, parseManifest, safeExtract, type Manifest } from "@recall/bundle";
import { byteOrder, installedIds, recoverLocked, validCurrentManifest } from "./bundle-root";
import { applyRetention, commitStaged, ensureLayout } from "./install";
import { acquireLock } from "./lock";
import { bundleRootLayout } from "./layout";
import { reloadSidecar } from "./reload";
import { removeInside } from "./safe-remove";
import { PullerError } from "./errors";
import { emptyState, readState, writeState } from "./state";
import type { AuditSink, Clock, FailReason, Logger, PullOutcome, PullProgress, StateJson } from "./types";

/** Everything the verify + install path needs; shared by `Puller` and `installLocal`. */
export interface PipelineContext {
  bundleRoot: string;
  socketPath: string | undefined;
  publicKeys: readonly string[];
  schemaRange: string;
  retain: number;
  maxBytes: number;
  maxUnpackedBytes: number;
  /** Tenant fingerprint a manifest's `tenant` must equal; undefined = no tenant check. */
  tenant: string | undefined;
  reloadTimeoutMs: number;
  audit: AuditSink;
  logger: Logger;
  clock: Clock;
}

/** What the bundle root looks like when a pull starts (read under the lock). */
export interface RootSnapshot {
  state: StateJson;
  current: Manifest | null;
}

/** Reasons of rejections that mean a hostile archive layout (audited `memory_bundle_unsafe_path`). */
const UNSAFE_REASONS = new Set(["unsafe_path", "too_deep", "link_entry", "special_entry", "duplicate_entry"]);

/** A failed outcome. */
export function failed(reason: FailReason, message: string): PullOutcome {
  return { outcome: "failed", reason, message };
}

/** Runs `body` under the bundle-root lock after crash recovery; `busy` when another puller holds it. */
export async function withRootLock(
  ctx: PipelineContext,
  body: (snap: RootSnapshot) => Promise<PullOutcome>,
  before?: () => Promise<void>,
): Promise<PullOutcome> {
  try {
    await ensureLayout(ctx.bundleRoot);
  } catch (err) {
    if (err instanceof PullerError && err.code === "PULLER_UNSAFE_DIR") return failed("unsafe_dir", err.message);
    return failed("io", `cannot create the bundle root (${errCode(err)})`);
  }
  const lock = await acquireLock(bundleRootLayout(ctx.bundleRoot).lock).catch(() => undefined);
  if (lock === undefined) return failed("io", "cannot take the bundle lock");
  if (lock === null) return { outcome: "busy" };
  try {
    await recoverLocked(ctx.bundleRoot);
    if (before) await before();
    await ensureLayout(ctx.bundleRoot);
    const state = (await readState(bundleRootLayout(ctx.bundleRoot).state).catch(() => null)) ?? emptyState();
    const current = await validCurrentManifest(ctx.bundleRoot);
    return await body({ state, current });
  } catch (err) {
    if (err instanceof PullerError && err.code === "PULLER_UNSAFE_DIR") {
      ctx.logger.error({ code: err.code }, "bundle root layout is unsafe");
      return failed("unsafe_dir", err.message);
    }
    ctx.logger.error({ code: errCode(err) }, "bundle root I/O failed");
    return failed("io", `bundle root I/O failed (${errCode(err)})`);
  } finally {
    await lock.release();
  }
}

/** Errnos that mean the local disk or filesystem failed, not the transfer. */
const LOCAL_IO_CODES = new Set(["ENOSPC", "EDQUOT", "EIO", "EROFS", "EACCES", "EPERM", "EMFILE", "ENFILE", "ENOTDIR", "EISDIR"]);

/** The errno of a local filesystem failure somewhere in `err`'s cause chain, or null. */
export function localIoCode(err: unknown): string | null {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && LOCAL_IO_CODES.has(e.code)) return e.code;
  }
  return null;
}

/** A content-free code for an unexpected error: its `code`, else its name. */
export function errCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown };
  return typeof e?.code === "string" ? e.code : typeof e?.name === "string" ? e.name : "error";
}

/** Decision on a fetched manifest, before any download. */
export type ManifestDecision =
  | { kind: "install"; manifest: Manifest }
  | { kind: "unchanged"; manifest: Manifest }
  | { kind: "rejected"; outcome: PullOutcome };

/**
 * Validates a manifest (docs/bundle-format.md, docs/bundle-root.md): schema, signature (required when
 * keys are configured), schema range, expiry, tenant; then same id as
 * `current` → unchanged; lower than the durable highest id → rollback.
 */
export async function decideManifest(ctx: PipelineContext, raw: unknown, snap: RootSnapshot): Promise<ManifestDecision> {
  const parsed = parseManifest(raw);
  if (!parsed.ok) return { kind: "rejected", outcome: rejected(parsed.rejection) };
  const manifest = parsed.manifest;
  const policy = checkManifestPolicy(manifest, {
    publicKeys: [...ctx.publicKeys],
    schemaRange: ctx.schemaRange,
    ...(ctx.tenant !== undefined ? { tenant: ctx.tenant } : {}),
    now: new Date(ctx.clock.now()),
  });
  if (!policy.ok) return { kind: "rejected", outcome: rejected(policy.rejection) };
  if (snap.current?.bundle_id === manifest.bundle_id) return { kind: "unchanged", manifest };
  const highest = await durableHighest(ctx.bundleRoot, snap);
  if (highest !== null && byteOrder(manifest.bundle_id, highest) < 0) {
    return { kind: "rejected", outcome: { outcome: "rejected", reason: "rollback" } };
  }
  return { kind: "install", manifest };
}

/**
 * The highest id ever installed: state.json's `highest_bundle_id` (and the
 * current id). Only when state.json is lost or damaged do the installed
 * directories stand in for it, so deleting `current` never reopens rollback.
 */
async function durableHighest(root: string, snap: RootSnapshot): Promise<string | null> {
  const candidates = [snap.state.highest_bundle_id, snap.current?.bundle_id ?? null];
  if (snap.state.highest_bundle_id === null) {
    const ids = await installedIds(root);
    if (ids.length > 0) candidates.push(ids[ids.length - 1]!);
  }
  let best: string | null = null;
  for (const c of candidates) if (c !== null && (best === null || byteOrder(c, best) > 0)) best = c;
  return best;
}

function rejected(r: { reason: string; path?: string }): PullOutcome {
  return r.path !== undefined ? { outcome: "rejected", reason: r.reason, path: r.path } : { outcome: "rejected", reason: r.reason };
}

/** Audits an outcome with the docs/audit-events.md events; content-free (no paths, no URLs, no key). */
export function auditOutcome(ctx: PipelineContext, o: PullOutcome, bundleId?: string): void {
  if (o.outcome === "rejected") {
    ctx.audit.log("memory_bundle_rejected", { reason: o.reason, ...(bundleId ? { bundle_id: bundleId } : {}) });
    if (UNSAFE_REASONS.has(o.reason)) ctx.audit.log("memory_bundle_unsafe_path", { reason: o.reason });
  } else if (o.outcome === "failed" && o.reason !== "aborted") {
    ctx.audit.log("memory_bundle_install_failed", { reason: o.reason });
  } else if (o.outcome === "installed") {
    ctx.audit.log("memory_bundle_installed", { bundle_id: o.bundle_id, schema_version: o.schema_version });
  }
}

/** How the archive source failed, if it did for a transport reason (decided after extraction stops). */
export type SourceFailure = () => { reason: FailReason; message: string } | null;

/**
 * Streams `source` through `safeExtract` into `staging/<id>`, then commits
 * (rename + symlink swap), writes `state.json` atomically, asks the sidecar
 * to reload and applies retention. On any failure `staging/<id>` is removed
 * and `current` is untouched. Caller holds the lock.
 */
export async function extractAndInstall(
  ctx: PipelineContext,
  args: {
    manifest: Manifest;
    source: Readable;
    sourceFailure: SourceFailure;
    snap: RootSnapshot;
    etag: string | null;
    /** Aborts the extraction (caller's signal, transfer guard). */
    signal?: AbortSignal;
    /** Called once extraction has ended, before the install: stops transfer watchdogs. */
    afterExtract?: () => void;
    /** Aborts the reload wait (the caller's own signal). */
    reloadSignal?: AbortSignal;
    onProgress?: (p: PullProgress) => void;
  },
): Promise<PullOutcome> {
  const { manifest } = args;
  const staged = join(bundleRootLayout(ctx.bundleRoot).staging, manifest.bundle_id);
  let ok = false;
  try {
    let result: Awaited<ReturnType<typeof safeExtract>>;
    try {
      result = await safeExtract(args.source, {
        dest: staged,
        manifest,
        maxBytes: ctx.maxBytes,
        maxUnpackedBytes: ctx.maxUnpackedBytes,
        ...(args.signal ? { signal: args.signal } : {}),
      });
    } catch (err) {
      // A local filesystem fault (a full disk, say) makes the extractor tear the download down too:
      // report the disk, not the aborted transfer it caused.
      const local = localIoCode(err);
      if (local) return failed("io", `extraction failed: ${local}${local === "ENOSPC" ? " (no space left on device)" : ""}`);
      const sf = args.sourceFailure();
      if (sf) return failed(sf.reason, sf.message);
      return failed("io", `extraction failed (${errCode(err)})`);
    }
    args.afterExtract?.();
    if (!result.ok) {
      // a bundle fault found by the extractor is authoritative: it destroyed the source itself, so a
      // transport error seen afterwards is a consequence, not the cause. Only "aborted" needs the why.
      if (result.rejection.reason !== "aborted") return rejected(result.rejection);
      const sf = args.sourceFailure();
      return sf ? failed(sf.reason, sf.message) : failed("aborted", "aborted");
    }
    args.onProgress?.({ phase: "install", bytes: 0, total: 0 });
    await commitStaged(ctx.bundleRoot, manifest, staged);
    ok = true;
  } finally {
    if (!ok) await removeInside(ctx.bundleRoot, staged).catch(() => {});
  }
  const now = new Date(ctx.clock.now()).toISOString();
  const st = args.snap.state;
  const highest = st.highest_bundle_id !== null && byteOrder(st.highest_bundle_id, manifest.bundle_id) > 0 ? st.highest_bundle_id : manifest.bundle_id;
  const installed: PullOutcome = { outcome: "installed", bundle_id: manifest.bundle_id, schema_version: manifest.schema_version };
  try {
    await writeState(bundleRootLayout(ctx.bundleRoot).state, {
      ...st,
      etag: args.etag,
      highest_bundle_id: highest,
      installed: { bundle_id: manifest.bundle_id, at: now },
      last_success: { at: now },
      last_pull: { at: now, outcome: "installed" },
    });
  } catch (err) {
    // `current` already is the new bundle; the next tick repairs state.json (same id → unchanged)
    ctx.logger.error({ code: errCode(err) }, "cannot write state.json after install");
  }
  ctx.logger.info({ bundle_id: manifest.bundle_id, schema_version: manifest.schema_version }, "bundle installed");
  if (ctx.socketPath) {
    args.onProgress?.({ phase: "reload", bytes: 0, total: 0 });
    await reloadSidecar(ctx.socketPath, {
      clock: ctx.clock,
      audit: ctx.audit,
      logger: ctx.logger,
      timeoutMs: ctx.reloadTimeoutMs,
      ...(args.reloadSignal ? { signal: args.reloadSignal } : {}),
    });
  }
  const removed = await applyRetention(ctx.bundleRoot, ctx.retain);
  if (removed.length > 0) ctx.logger.info({ removed }, "old bundles removed");
  return installed;
}

/** Records `last_pull` (and on success `last_success`) in state.json; best effort. */
export async function recordLastPull(ctx: PipelineContext, state: StateJson, o: PullOutcome, patch: Partial<StateJson> = {}): Promise<void> {
  const at = new Date(ctx.clock.now()).toISOString();
  const next: StateJson = { ...state, ...patch, last_pull: { at, outcome: o.outcome } };
  if (o.outcome === "failed") next.last_pull = { at, outcome: o.outcome, error: o.reason };
  if (o.outcome === "rejected") next.last_pull = { at, outcome: o.outcome, error: o.reason };
  if (o.outcome === "unchanged" || o.outcome === "none") next.last_success = { at };
  try {
    await writeState(bundleRootLayout(ctx.bundleRoot).state, next);
  } catch (err) {
    ctx.logger.warn({ code: errCode(err) }, "cannot record the last pull in state.json");
  }
}
