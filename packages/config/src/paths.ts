import { statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";

/** Environment variables as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Longest Unix socket path, in bytes: defined by `@recall/protocol` (the wire transport), re-exported here. */
export { SOCKET_PATH_MAX_BYTES } from "@recall/protocol";

/** File name of the daemon's control socket, next to the sidecar socket. */
export const CONTROL_SOCKET_NAME = "daemon.sock";

const XDG_FALLBACKS: Record<string, string> = {
  XDG_DATA_HOME: ".local/share",
  XDG_CONFIG_HOME: ".config",
  XDG_STATE_HOME: ".local/state",
  XDG_CACHE_HOME: ".cache",
};
const EXPANDABLE = ["HOME", "XDG_RUNTIME_DIR", ...Object.keys(XDG_FALLBACKS)];
const VAR_REF = /\$(?:\{([A-Z_][A-Z0-9_]*)\}|([A-Z_][A-Z0-9_]*))/g;

/** The home directory: `$HOME` of the given environment, else the OS's. */
export function homeDir(env: Env): string {
  const h = env.HOME;
  return h && isAbsolute(h) ? h : homedir();
}

/**
 * An XDG base directory from the environment. Relative values are ignored,
 * as the XDG spec requires; unset `XDG_DATA_HOME`, `XDG_CONFIG_HOME`,
 * `XDG_STATE_HOME`, `XDG_CACHE_HOME` fall back to their `~` defaults, and an
 * unset `XDG_RUNTIME_DIR` (which has no default) gives `null`.
 */
export function xdgDir(name: string, env: Env): string | null {
  const v = env[name];
  if (v && isAbsolute(v)) return v;
  const fallback = XDG_FALLBACKS[name];
  return fallback === undefined ? null : join(homeDir(env), fallback);
}

/** Outcome of {@link expandPath}. */
export type ExpandResult = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Expands a configured path: a leading `~` or `~/` becomes the home
 * directory; `$HOME`, `$XDG_RUNTIME_DIR`, `$XDG_DATA_HOME`,
 * `$XDG_CONFIG_HOME`, `$XDG_STATE_HOME`, `$XDG_CACHE_HOME` (also as
 * `${NAME}`) are replaced from `env`; other `$` text is left alone. A relative
 * result is resolved against `base`. Fails when a referenced
 * `$XDG_RUNTIME_DIR` is unset, or for `~user` forms.
 */
export function expandPath(text: string, env: Env, base: string): ExpandResult {
  let p = text;
  if (p === "~" || p.startsWith("~/")) p = homeDir(env) + p.slice(1);
  else if (p.startsWith("~")) return { ok: false, reason: "~user paths are not supported; use an absolute path or ~/" };
  // declared through `as`: assignments in the callback below are invisible to narrowing
  let missing = null as string | null;
  p = p.replace(VAR_REF, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    if (!EXPANDABLE.includes(name)) return whole;
    const v = name === "HOME" ? homeDir(env) : xdgDir(name, env);
    if (v === null) {
      missing ??= name;
      return whole;
    }
    return v;
  });
  if (missing !== null) return { ok: false, reason: `$${missing} is not set` };
  return { ok: true, path: resolve(base, p) };
}

/** Default sidecar socket: `$XDG_RUNTIME_DIR/recall/memory.sock`, else `~/.recall/run/memory.sock`. */
export function defaultSocketPath(env: Env): string {
  const runtime = xdgDir("XDG_RUNTIME_DIR", env);
  return runtime ? join(runtime, "recall", "memory.sock") : join(homeDir(env), ".recall", "run", "memory.sock");
}

/** Default bundle root: `$XDG_DATA_HOME/recall/bundles` (XDG default `~/.local/share`). */
export function defaultBundleRoot(env: Env): string {
  return join(xdgDir("XDG_DATA_HOME", env) as string, "recall", "bundles");
}

/**
 * The config file read when none is named: `$XDG_CONFIG_HOME/recall/config.yaml`,
 * else `~/.config/recall/config.yaml`. (`$RECALL_CONFIG` and an explicit
 * file take precedence in `loadConfig`; see `resolveConfigPath`.)
 */
export function defaultConfigPath(env: Env = process.env): string {
  return join(xdgDir("XDG_CONFIG_HOME", env) as string, "recall", "config.yaml");
}

/** Where the project-local config lives, relative to a project directory. */
export const PROJECT_CONFIG_PATH = ".recall/config.yaml";

/** How {@link resolveConfigPath} chose the config file. */
export type ConfigVia = "argument" | "RECALL_CONFIG" | "project" | "default";

/** Outcome of {@link resolveConfigPath}. */
export interface ConfigLocation {
  /** The file `loadConfig` reads (an explicit one must exist; the others may be absent). */
  path: string;
  explicit: boolean;
  via: ConfigVia;
  /**
   * Every file whose presence decided the choice, in the order looked at
   * (the project candidates from the working directory up, then the default
   * file): a cache of the result stays valid while none of them appears,
   * disappears or changes.
   */
  probed: string[];
}

function ownerOk(path: string, uid: number | null): boolean {
  try {
    const st = statSync(path);
    // like git's safe.directory: a file another user owns, or anyone may write, must not redirect our queries
    // (group write is allowed: umask 002 with per-user groups makes it common)
    return (uid === null || st.uid === uid || st.uid === 0) && (st.mode & 0o002) === 0;
  } catch {
    return false;
  }
}

/**
 * The project-local config for `cwd`: the nearest `.recall/config.yaml` in
 * `cwd` or a parent directory, or null. A candidate owned by another user
 * (root excepted) or writable by others is skipped, as is one whose
 * `.recall` directory is. `probed` receives every candidate looked at.
 */
export function findProjectConfig(cwd: string, probed: string[] = [], uid: number | null = typeof process.getuid === "function" ? process.getuid() : null): string | null {
  let dir = resolve(cwd);
  for (;;) {
    const candidate = join(dir, PROJECT_CONFIG_PATH);
    probed.push(candidate);
    if (ownerOk(candidate, uid) && ownerOk(dirname(candidate), uid)) {
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // vanished between the two stats: keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * Which config file `loadConfig` reads. Order: the `file` argument
 * (`--config`), `$RECALL_CONFIG`, the project-local `.recall/config.yaml`
 * found from `cwd` upward ({@link findProjectConfig}), then
 * {@link defaultConfigPath}. An explicit file must exist; the default may be absent.
 */
export function resolveConfigPath(opts: { file?: string; env?: Env; cwd?: string } = {}): ConfigLocation {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  if (opts.file) return { path: resolveLoosely(opts.file, env, cwd), explicit: true, via: "argument", probed: [] };
  const fromEnv = env.RECALL_CONFIG;
  if (fromEnv) return { path: resolveLoosely(fromEnv, env, cwd), explicit: true, via: "RECALL_CONFIG", probed: [] };
  const probed: string[] = [];
  const project = findProjectConfig(cwd, probed);
  if (project) return { path: project, explicit: false, via: "project", probed };
  const path = defaultConfigPath(env);
  return { path, explicit: false, via: "default", probed: [...probed, path] };
}

function resolveLoosely(p: string, env: Env, cwd: string): string {
  const r = expandPath(p, env, cwd);
  return r.ok ? r.path : resolve(cwd, p);
}

/**
 * The daemon's control socket: `daemon.sock` in the directory of
 * `memory.socket_path`. Accepts the loaded config or a socket path.
 */
export function controlSocketPath(config: { readonly memory: { readonly socket_path: string } } | string): string {
  const sock = typeof config === "string" ? config : config.memory.socket_path;
  return join(dirname(sock), CONTROL_SOCKET_NAME);
}
