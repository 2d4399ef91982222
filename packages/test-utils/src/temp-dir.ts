import { chmod, chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A private temp directory (mode 0700, from mkdtemp) and its removal. */
export interface TempDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** `join(path, ...parts)`. */
  join(...parts: string[]): string;
  /** Removes the tree; never throws, safe to call twice. */
  remove(): Promise<void>;
}

const live = new Set<string>();

/**
 * Makes a temp directory under the OS temp dir. Remove it in `afterEach` /
 * `afterAll` (`await dir.remove()`), or call {@link removeTempDirs} to remove
 * every one this process made and has not removed yet.
 */
export async function makeTempDir(prefix = "recall-test-"): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  live.add(path);
  return {
    path,
    join: (...parts: string[]) => join(path, ...parts),
    remove: async () => {
      live.delete(path);
      await removeTree(path);
    },
  };
}

/** Removes every temp dir made by {@link makeTempDir} and not removed yet. */
export async function removeTempDirs(): Promise<void> {
  const paths = [...live];
  live.clear();
  await Promise.all(paths.map((p) => removeTree(p)));
}

/** Removes a directory tree, ignoring a missing one (retries briefly on EBUSY/ENOTEMPTY). */
export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => undefined);
}

/**
 * Makes `base/rel` (and missing parents), sets its mode exactly (no umask) and,
 * when given, its owner and group to `owner`: the directory shapes the
 * directory-safety tests judge.
 */
export async function makeDir(base: string, rel: string, mode: number, owner?: number): Promise<string> {
  const p = join(base, rel);
  await mkdir(p, { recursive: true });
  await chmod(p, mode);
  if (owner !== undefined) await chown(p, owner, owner);
  return p;
}
