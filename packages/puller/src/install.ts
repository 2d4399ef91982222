import { chmod, rename, rm, stat, symlink } from "node:fs/promises";
import { assertRealDir, removeInside } from "./safe-remove";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Manifest } from "@recall/bundle";
import { byteOrder, currentTargetId, installedIds } from "./bundle-root";
import { ensureDir, fsyncDir, writeFileSynced } from "./fs-sync";
import { bundleRootLayout } from "./layout";

/** Creates the bundle-root skeleton: root 0700, `staging/`, `bundles/`. Throws PullerError(PULLER_UNSAFE_DIR) on a symlinked `staging/` or `bundles/`. */
export async function ensureLayout(root: string): Promise<void> {
  const l = bundleRootLayout(root);
  await ensureDir(l.root, 0o700);
  // an existing root keeps no wider mode than 0700 (it holds the tenant's memory)
  await chmod(l.root, 0o700).catch(() => {});
  // mkdir -p succeeds on a symlink to a directory: refuse one before anything is written through it
  await assertRealDir(l.staging);
  await assertRealDir(l.bundles);
  await ensureDir(l.staging, 0o755);
  await ensureDir(l.bundles, 0o755);
}

/**
 * Installs the verified tree in `staging/<id>` (docs/bundle-root.md): write + fsync
 * `manifest.json` and the staged directory, rename to `bundles/<id>`, create the
 * relative symlink `current.tmp` → `bundles/<id>`, rename it over `current`,
 * fsync the root. After a crash at any point `current` is the old or the new
 * bundle, whole. Caller holds the lock. Throws on I/O errors.
 */
export async function commitStaged(root: string, manifest: Manifest, stagedDir: string): Promise<void> {
  const l = bundleRootLayout(root);
  const id = manifest.bundle_id;
  await writeFileSynced(join(stagedDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  // the extractor fsynced every file and directory; only the manifest entry is new
  await fsyncDir(stagedDir);
  const finalDir = join(l.bundles, id);
  // a same-id leftover (crash after rename, or `current` deleted by hand) that is not current: move it aside
  if (await stat(finalDir).then(() => true, () => false)) {
    const aside = join(l.staging, `.old-${id}-${randomBytes(4).toString("hex")}`);
    await rename(finalDir, aside);
    await removeInside(root, aside);
  }
  await rename(stagedDir, finalDir);
  await fsyncDir(l.bundles);
  await fsyncDir(l.staging);
  await rm(l.currentTmp, { force: true });
  await symlink(`bundles/${id}`, l.currentTmp);
  await rename(l.currentTmp, l.current);
  await fsyncDir(l.root);
}

/**
 * Retention (docs/bundle-root.md): keeps the newest `retain` bundles (byte order of
 * ids) and always the `current` target; removes the others. Never throws:
 * returns the ids it removed.
 */
export async function applyRetention(root: string, retain: number): Promise<string[]> {
  const l = bundleRootLayout(root);
  const current = await currentTargetId(root);
  const ids = await installedIds(root);
  const keep = new Set(ids.slice().sort(byteOrder).slice(-Math.max(1, retain)));
  if (current !== null) keep.add(current);
  const removed: string[] = [];
  for (const id of ids) {
    if (keep.has(id)) continue;
    try {
      // rename first so a half-removed directory is never mistaken for a bundle
      const aside = join(l.staging, `.gone-${id}-${randomBytes(4).toString("hex")}`);
      await ensureDir(l.staging);
      await assertRealDir(l.bundles);
      await rename(join(l.bundles, id), aside);
      await removeInside(root, aside);
      removed.push(id);
    } catch {
      // best effort: the next install retries
    }
  }
  return removed;
}
