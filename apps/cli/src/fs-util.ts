import { stat } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";

/**
 * Resolves a "publish directory or its manifest" argument to the manifest
 * path and the directory holding it (archive paths are relative to it).
 * Returns null when neither exists.
 */
export async function locateManifest(arg: string): Promise<{ manifestPath: string; dir: string } | null> {
  const st = await stat(arg).catch(() => null);
  if (!st) return null;
  if (st.isDirectory()) {
    const m = join(arg, "manifest.json");
    return (await stat(m).catch(() => null))?.isFile() ? { manifestPath: m, dir: arg } : null;
  }
  const slash = arg.lastIndexOf("/");
  return { manifestPath: arg, dir: slash === -1 ? "." : arg.slice(0, slash) || "/" };
}

/** `p` relative to `cwd` when it lies inside it, else absolute: what a person wants to read. */
export function shortPath(cwd: string, p: string): string {
  const rel = relative(cwd, p);
  if (rel === "") return ".";
  return rel.startsWith("..") || isAbsolute(rel) ? p : rel;
}
