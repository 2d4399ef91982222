import { lstat } from "node:fs/promises";
import { removeInside as removeInsideRoot, SafeFsError } from "@recall/safe-fs";
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
 * `@recall/safe-fs`'s `removeInside` (removes `target` only when it lies
 * inside `root` with no symlink between them; a link at `target` itself is
 * removed, never followed; missing targets are fine), with its refusal as
 * PullerError(PULLER_UNSAFE_DIR), which a pull reports as `unsafe_dir`.
 * Nothing is removed when it throws.
 */
export async function removeInside(root: string, target: string): Promise<void> {
  try {
    await removeInsideRoot(root, target);
  } catch (err) {
    if (err instanceof SafeFsError) throw new PullerError("PULLER_UNSAFE_DIR", err.message, { path: target, cause: err });
    throw err;
  }
}
