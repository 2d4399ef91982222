import { realpath, rm } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { SafeFsError } from "./errors";

/**
 * Removes `target` (recursively; a link at `target` itself is removed, never
 * followed) only when it lies strictly inside `root` with no symlink between
 * them: the real path of `target`'s parent must be the real root joined with
 * the same relative path. A missing target (or missing parent) is fine.
 * Throws {@link SafeFsError} (`SAFE_FS_NOT_INSIDE`, `SAFE_FS_LINK_ESCAPE`)
 * when the check fails; nothing is removed then.
 */
export async function removeInside(root: string, target: string): Promise<void> {
  const rel = relative(resolve(root), resolve(target));
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
    throw new SafeFsError("SAFE_FS_NOT_INSIDE", `refusing to remove ${target}: not inside ${root}`, target);
  }
  let realParent: string;
  try {
    realParent = await realpath(dirname(resolve(target)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  const expected = resolve(await realpath(root), dirname(rel));
  if (realParent !== expected) {
    throw new SafeFsError("SAFE_FS_LINK_ESCAPE", `refusing to remove ${target}: a symlink leads out of ${root}`, target);
  }
  await rm(target, { recursive: true, force: true });
}
