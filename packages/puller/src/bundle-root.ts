import { lstat, readFile, readdir, readlink, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseManifest, type Manifest } from "@recall/bundle";
import { acquireLock } from "./lock";
import { assertRealDir, removeInside } from "./safe-remove";
import { bundleRootLayout } from "./layout";
import { readState } from "./state";
import type { CurrentBundle, StateJson } from "./types";

const BUNDLE_ID_RE = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;

/**
 * Removes leftovers of an interrupted pull: everything in `staging/` and
 * `current.tmp`. Caller must hold the bundle-root lock. Throws
 * PullerError(PULLER_UNSAFE_DIR), removing nothing, when `staging/` or
 * `bundles/` is a symlink.
 */
export async function recoverLocked(root: string): Promise<void> {
  const l = bundleRootLayout(root);
  // never list or delete through a planted link (docs/SECURITY.md)
  await assertRealDir(l.staging);
  await assertRealDir(l.bundles);
  await rm(l.currentTmp, { force: true });
  let names: string[] = [];
  try {
    names = await readdir(l.staging);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  for (const n of names) await removeInside(root, join(l.staging, n));
  // temp files of an interrupted atomic write of state.json or the fingerprint
  const now = Date.now();
  for (const n of await readdir(root).catch(() => [] as string[])) {
    if (/^(state\.json|\.tenant_fingerprint)\.tmp-/.test(n)) await rm(join(root, n), { force: true });
    // a lock candidate file left by a process killed while taking the lock (a live one is younger)
    if (/^bundle\.lock\.\d+\.[0-9a-f]+$/.test(n)) {
      const st = await lstat(join(root, n)).catch(() => null);
      if (st && now - st.mtimeMs > 60_000) await rm(join(root, n), { force: true });
    }
  }
}

/**
 * Cleans a bundle root after a crash (docs/bundle-root.md): removes `staging/*` and
 * `current.tmp`. Takes the bundle lock; when another puller holds it, does
 * nothing (that puller cleans up itself). A dangling `current` is left alone:
 * it simply counts as "no bundle". Throws on unexpected I/O errors and
 * PullerError(PULLER_UNSAFE_DIR) on a symlinked `staging/` or `bundles/`.
 */
export async function recoverBundleRoot(bundleRoot: string): Promise<void> {
  const l = bundleRootLayout(bundleRoot);
  try {
    await stat(l.root);
  } catch {
    return;
  }
  const lock = await acquireLock(l.lock);
  if (lock === null) return;
  try {
    await recoverLocked(bundleRoot);
  } finally {
    await lock.release();
  }
}

/** The id `current` points at (`bundles/<id>`), or null when missing or not of that shape. */
export async function currentTargetId(root: string): Promise<string | null> {
  let target: string;
  try {
    target = await readlink(bundleRootLayout(root).current);
  } catch {
    return null;
  }
  const m = /^bundles\/([^/]+)$/.exec(target);
  return m && BUNDLE_ID_RE.test(m[1]!) ? m[1]! : null;
}

/** Reads and validates `bundles/<id>/manifest.json`; null when absent or invalid. */
export async function readInstalledManifest(root: string, id: string): Promise<Manifest | null> {
  try {
    const text = await readFile(join(bundleRootLayout(root).bundles, id, "manifest.json"), "utf8");
    const r = parseManifest(JSON.parse(text));
    return r.ok && r.manifest.bundle_id === id ? r.manifest : null;
  } catch {
    return null;
  }
}

/**
 * The valid `current` bundle: the symlink resolves to `bundles/<id>`, whose
 * manifest parses, names `<id>`, and whose listed files all exist as regular
 * files of the listed size (hashes were verified at install). Null otherwise
 * (missing or dangling `current` = no bundle).
 */
export async function validCurrentManifest(root: string): Promise<Manifest | null> {
  const id = await currentTargetId(root);
  if (id === null) return null;
  const m = await readInstalledManifest(root, id);
  if (m === null) return null;
  const dir = join(bundleRootLayout(root).bundles, id);
  for (const f of m.files) {
    try {
      const s = await lstat(join(dir, f.path));
      if (!s.isFile() || s.size !== f.size) return null;
    } catch {
      return null;
    }
  }
  return m;
}

/** True when the bundle root has a valid `current` bundle (see {@link readBundleState}). Never throws. */
export async function hasValidCurrent(bundleRoot: string): Promise<boolean> {
  return (await validCurrentManifest(bundleRoot).catch(() => null)) !== null;
}

/**
 * Reads what is installed: the valid `current` bundle (null when missing,
 * dangling or incomplete) and `state.json` (null when missing or unreadable).
 * Never throws for a missing or damaged bundle root.
 */
export async function readBundleState(
  bundleRoot: string,
): Promise<{ current: CurrentBundle | null; state: StateJson | null }> {
  const state = await readState(bundleRootLayout(bundleRoot).state).catch(() => null);
  const m = await validCurrentManifest(bundleRoot).catch(() => null);
  if (m === null) return { current: null, state };
  const inst = state?.installed ?? null;
  const installedAt = inst !== null && inst.bundle_id === m.bundle_id ? inst.at : null;
  return {
    current: { bundle_id: m.bundle_id, schema_version: m.schema_version, installed_at: installedAt, expires_at: m.expires_at ?? null },
    state,
  };
}

/** Ids of the installed bundle directories (`bundles/*`), sorted ascending (byte order). */
export async function installedIds(root: string): Promise<string[]> {
  try {
    const names = await readdir(bundleRootLayout(root).bundles);
    return names.filter((n) => BUNDLE_ID_RE.test(n)).sort(byteOrder);
  } catch {
    return [];
  }
}

/** Byte-order comparison of ASCII bundle ids (docs/bundle-format.md: ids sort in publication order). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
