import { readFile, rm } from "node:fs/promises";
import { tenantFingerprint } from "@recall/protocol";
import { fsyncDir, writeFileAtomic } from "./fs-sync";
import { bundleRootLayout } from "./layout";
import { removeInside } from "./safe-remove";

/**
 * First 16 hex chars of sha256("recall-tenant:" + apiKey): the only trace of the key on disk.
 * Defined once by `@recall/protocol` (manifests, the bundle root and redaction must agree).
 */
export { tenantFingerprint };

/**
 * Checks `.tenant_fingerprint` against `fingerprint`. On a change (a new API
 * key = maybe a new tenant) wipes `current`, `state.json`, `bundles/` and
 * `staging/` first, then records the new fingerprint last, so a crash
 * mid-wipe wipes again next time. A missing file is recorded without a wipe.
 * Caller holds the bundle lock. Returns whether a wipe happened.
 */
export async function ensureTenant(root: string, fingerprint: string): Promise<boolean> {
  const l = bundleRootLayout(root);
  let stored: string | null = null;
  try {
    stored = (await readFile(l.fingerprint, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (stored === fingerprint) return false;
  const wipe = stored !== null;
  if (wipe) {
    // current first: the old tenant's memory must stop being served before anything else
    await rm(l.current, { force: true });
    await rm(l.currentTmp, { force: true });
    await fsyncDir(l.root);
    await rm(l.state, { force: true });
    // a symlinked bundles/ or staging/ loses the link only (rm never follows it), and removeInside checks the root
    await removeInside(root, l.bundles);
    await removeInside(root, l.staging);
    await fsyncDir(l.root);
  }
  await writeFileAtomic(l.fingerprint, `${fingerprint}\n`, 0o600);
  return wipe;
}
