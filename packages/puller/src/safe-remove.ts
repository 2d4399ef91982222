import { lstat, realpath, rm } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { PullerError } from "./errors";

/**
 * Throws PullerError(PULLER_UNSAFE_DIR) when `dir` exists as a symlink or as
 * anything but a directory: the puller lists and deletes inside `staging/`
 * and `bundles/`, so a planted link there would aim those deletes elsewhere.
 * A missing `dir` is fine (it is created later).
 */
export async function assertRealDir(dir: string): Promise<void> {
  let st;
  try {
    st = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (st.isSymbolicLink() || !st.isDirectory()) {
    throw new PullerError(
      "PULLER_UNSAFE_DIR",
      `${dir} is ${st.isSymbolicLink() ? "a symlink" : "not a directory"}; refusing to work in it (remove it: rm ${dir})`,
      { path: dir },
    );
  }
}

/**
 * Removes `target` (recursively, never following a link at `target` itself)
 * only when it lies inside `root` with no symlink between them: the real path
 * of `target`'s parent must be the real root joined with the same relative
 * path. Missing targets are fine. Throws PullerError(PULLER_UNSAFE_DIR) when
 * the check fails; nothing is removed then.
 */
export async function removeInside(root: string, target: string): Promise<void> {
  const rel = relative(resolve(root), resolve(target));
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
    throw new PullerError("PULLER_UNSAFE_DIR", `refusing to remove ${target}: not inside ${root}`, { path: target });
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
    throw new PullerError("PULLER_UNSAFE_DIR", `refusing to remove ${target}: a symlink leads out of ${root}`, { path: target });
  }
  await rm(target, { recursive: true, force: true });
}
