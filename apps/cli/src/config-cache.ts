import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

// The read side runs on every `recall query`: it uses only `node:fs` (loaded
// at Node's bootstrap anyway) and synchronous calls, no crypto, no promises API.

/** The few non-secret config values `recall query` needs. */
export interface QueryConfig {
  provider: string;
  socket_path: string;
  client_request_timeout_ms: number;
  sidecar_ready_timeout_ms: number;
}

/** A file that decided the config, and its identity (dev/ino/size/mtime/ctime) or null when absent. */
export type FileWitness = [path: string, sig: string | null];

interface Entry {
  key: string;
  /**
   * Every file `loadConfig` consulted or probed (the project-local
   * candidates from the working directory up, the file read): the entry is
   * valid while each is unchanged, still absent, or still there.
   */
  files: FileWitness[];
  values: QueryConfig;
  at: number;
}

const MAX_ENTRIES = 8;
const FORMAT = 2;

/**
 * Where the cache lives: `$XDG_CACHE_HOME/recall/cli-config.json`, else
 * `$HOME/.cache/recall/cli-config.json`; null (no cache) when neither is set.
 */
export function cachePath(env: Record<string, string | undefined>): string | null {
  if (env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith("/")) return join(env.XDG_CACHE_HOME, "recall", "cli-config.json");
  if (env.HOME && env.HOME.startsWith("/")) return join(env.HOME, ".cache", "recall", "cli-config.json");
  return null;
}

/**
 * The cache key: every input `loadConfig` reads (the `--config` value, the
 * working directory, `RECALL_*`, HOME/USER/PATH and `XDG_*` variables) and
 * the CLI version, as one JSON string. API-key (and other secret-named)
 * variables are left out: they cannot change the cached values or make a
 * config invalid, and nothing derived from a secret is written to disk.
 */
export function cacheKey(inputs: { version: string; cwd: string; file: string | undefined; env: Record<string, string | undefined> }): string {
  const env = Object.entries(inputs.env)
    .filter(([k, v]) => v !== undefined && (k.startsWith("RECALL_") || k.startsWith("XDG_") || k === "HOME" || k === "USER" || k === "PATH") && !/API_KEY$|SECRET|TOKEN/.test(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([FORMAT, inputs.version, inputs.cwd, inputs.file ?? null, env]);
}

/** Identity of a file (dev, inode, size, mtime, ctime in ns), or null when absent. Take it before reading the file. */
export function fileSignature(path: string): string | null {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return null;
  }
}

function parseEntries(text: string): Entry[] {
  try {
    const v = JSON.parse(text) as { format?: number; entries?: Entry[] };
    return v.format === FORMAT && Array.isArray(v.entries) ? v.entries : [];
  } catch {
    return [];
  }
}

/** The witnesses of `paths`, taken now: take them *before* reading the files. */
export function witnesses(paths: readonly string[]): FileWitness[] {
  return paths.map((p) => [p, fileSignature(p)]);
}

/**
 * The cached values for `key`, when every file they were computed from is
 * unchanged (same identity, or still absent). Null on any doubt.
 */
export function readCachedConfig(path: string, key: string): QueryConfig | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  const e = parseEntries(text).find((x) => x.key === key);
  if (!e || typeof e.values?.socket_path !== "string" || !Array.isArray(e.files) || e.files.length === 0) return null;
  for (const w of e.files) if (!Array.isArray(w) || typeof w[0] !== "string" || fileSignature(w[0]) !== w[1]) return null;
  return e.values;
}

/**
 * Records values computed by a full, successful `loadConfig`; `files` are
 * the {@link witnesses} taken *before* the load, so a change during it
 * invalidates the entry. Best effort: failures are ignored.
 *
 * The cache directory is created 0700 and must pass recall's one directory
 * rule (`checkPrivateDir`: ours, not writable by others, under parents and
 * links only we or root control) or nothing is written. The file is written
 * with `writeFileAtomic` (a sibling temp file created
 * `O_CREAT|O_EXCL|O_NOFOLLOW` 0600, so nothing planted is followed, then
 * renamed over the cache file, replacing a planted symlink there instead of
 * writing through it), without fsync: a lost cache only costs the next run
 * its fast path. `@recall/safe-fs` is loaded here, lazily, never by the read
 * side.
 */
export async function writeCachedConfig(path: string, key: string, files: FileWitness[], values: QueryConfig): Promise<void> {
  try {
    const { lstat, mkdir, readFile } = await import("node:fs/promises");
    const { checkPrivateDir, writeFileAtomic } = await import("@recall/safe-fs");
    const dir = path.slice(0, path.lastIndexOf("/"));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await checkPrivateDir(dir)).ok) return;
    const old = await lstat(path).catch(() => null);
    const uid = typeof process.getuid === "function" ? process.getuid() : old?.uid;
    // read only a regular file of ours: a planted symlink or FIFO is replaced, not read
    const prior = old?.isFile() && old.uid === uid ? await readFile(path, "utf8").catch(() => "") : "";
    const entries = parseEntries(prior).filter((x) => x.key !== key);
    entries.unshift({ key, files, values, at: Date.now() });
    await writeFileAtomic(path, JSON.stringify({ format: FORMAT, entries: entries.slice(0, MAX_ENTRIES) }), { mode: 0o600, durable: false });
  } catch {
    // a read-only home or a full disk only costs the next run its fast path
  }
}
