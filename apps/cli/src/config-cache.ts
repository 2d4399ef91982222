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

interface Entry {
  key: string;
  /** The config file `loadConfig` consulted (read, or found absent). */
  file: string;
  /** Its identity when the entry was written: dev/ino/size/mtime/ctime, or null when absent. */
  sig: string | null;
  values: QueryConfig;
  at: number;
}

const MAX_ENTRIES = 8;
const FORMAT = 1;

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

/**
 * The cached values for `key`, when the config file it was computed from is
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
  if (!e || typeof e.values?.socket_path !== "string") return null;
  return fileSignature(e.file) === e.sig ? e.values : null;
}

/**
 * Records values computed by a full, successful `loadConfig`; `sig` is the
 * file's {@link fileSignature} taken *before* it was read, so a change during
 * the load invalidates the entry. Best effort: failures are ignored.
 */
export async function writeCachedConfig(path: string, key: string, file: string, sig: string | null, values: QueryConfig): Promise<void> {
  try {
    const { mkdir, open, readFile, rename, rm } = await import("node:fs/promises");
    const dir = path.slice(0, path.lastIndexOf("/"));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const entries = parseEntries(await readFile(path, "utf8").catch(() => "")).filter((x) => x.key !== key);
    entries.unshift({ key, file, sig, values, at: Date.now() });
    const tmp = `${path}.${process.pid}.tmp`;
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(JSON.stringify({ format: FORMAT, entries: entries.slice(0, MAX_ENTRIES) }));
    } finally {
      await fh.close();
    }
    await rename(tmp, path).catch(async () => rm(tmp, { force: true }));
  } catch {
    // a read-only home or a full disk only costs the next run its fast path
  }
}
