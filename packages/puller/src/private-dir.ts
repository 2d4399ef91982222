import { lstat } from "node:fs/promises";
import { checkPrivateDir, type PrivateDirOptions, type PrivateDirResult } from "@recall/safe-fs";
import { bundleRootLayout } from "./layout";

// recall's one directory rule lives in @recall/safe-fs; the puller re-exports it under the same names.
export { checkPrivateDir };
export type { PrivateDirOptions, PrivateDirResult };

/**
 * {@link checkPrivateDir} for a bundle root, plus its layout: `staging/` and
 * `bundles/`, when they exist, must be real directories (never symlinks: the
 * puller deletes inside them). `current` is a symlink by design and is not
 * judged here.
 */
export async function checkBundleRoot(root: string, opts: PrivateDirOptions = {}): Promise<PrivateDirResult> {
  const r = await checkPrivateDir(root, opts);
  if (!r.ok) return r;
  const l = bundleRootLayout(r.path);
  for (const sub of [l.staging, l.bundles]) {
    const st = await lstat(sub).catch(() => null);
    if (st === null) continue;
    if (st.isSymbolicLink() || !st.isDirectory()) {
      return {
        ok: false,
        path: r.path,
        culprit: sub,
        problem: `${sub} is ${st.isSymbolicLink() ? "a symlink" : "not a directory"}; recall deletes inside it and follows no links there`,
        fix: `remove it (rm ${sub}); recall recreates it`,
      };
    }
  }
  return r;
}

