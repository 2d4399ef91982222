/** The kind of value a config key holds; decides parsing and coercion. */
export type ConfigKeyType =
  | "enum"
  | "url"
  | "secret"
  | "path"
  | "command"
  | "duration"
  | "size"
  | "ratio"
  | "integer"
  | "boolean"
  | "key-list"
  | "semver-range";

/** Metadata of one config key, for `recall config`, docs and error messages. */
export interface ConfigKeyInfo {
  /** Dotted key as written in YAML: `memory.socket_path`. */
  readonly key: string;
  /** `memory` or `cloud`. */
  readonly section: "memory" | "cloud";
  /** Key inside its section: `socket_path`. */
  readonly name: string;
  readonly type: ConfigKeyType;
  /** Default as a user would write it (`24h`, `2GiB`); prose for computed defaults. */
  readonly default: string | number | boolean | readonly string[];
  readonly description: string;
  /** Environment variable that sets it. */
  readonly env: string;
  /** Property of the loaded config it ends up in (`bundle_pull_interval_ms`). */
  readonly output: string;
  /** True for values that must never be printed (`api_key`). */
  readonly secret: boolean;
  /** Allowed values of an `enum`. */
  readonly values?: readonly string[];
  /** Lower bound: durations in ms, sizes in bytes, numbers as is. */
  readonly min?: number;
  /** Upper bound, same units as `min`. */
  readonly max?: number;
}

/** Longest duration accepted (24d): Node timers misfire beyond 2^31-1 ms (24.8 days). */
export const MAX_DURATION_MS = 24 * 86_400_000;

type KeyDef = Omit<ConfigKeyInfo, "key" | "section" | "env" | "output" | "secret"> & { secret?: boolean };

const MEMORY: KeyDef[] = [
  { name: "provider", type: "enum", values: ["disabled", "local", "cloud"], default: "local",
    description: "disabled: no memory; local: bundles installed by hand; cloud: pulled from endpoint" },
  { name: "endpoint", type: "url", default: "",
    description: "Base URL of the bundle endpoint (cloud); falls back to cloud.endpoint" },
  { name: "api_key", type: "secret", default: "", secret: true,
    description: "API key sent as X-API-Key to the endpoint's origin; falls back to cloud.api_key" },
  { name: "socket_path", type: "path", default: "$XDG_RUNTIME_DIR/recall/memory.sock, else ~/.recall/run/memory.sock",
    description: "Unix socket of the memory sidecar (at most 107 bytes; daemon.sock lives next to it)" },
  { name: "bundle_root", type: "path", default: "$XDG_DATA_HOME/recall/bundles, else ~/.local/share/recall/bundles",
    description: "Directory holding installed bundles, state.json and the current symlink" },
  { name: "tlm_path", type: "command", default: "",
    description: "Sidecar binary: a path, or a command name looked up on PATH; empty = tlm on PATH, else the bundled one" },
  { name: "bundle_pull_interval", type: "duration", default: "24h", min: 1,
    description: "Time between scheduled pulls (cloud)" },
  { name: "bundle_pull_startup_delay", type: "duration", default: "30s", min: 0,
    description: "Delay before the first scheduled pull after the sidecar is ready" },
  { name: "bundle_pull_jitter", type: "ratio", default: 0.1, min: 0, max: 1,
    description: "Random spread of the pull interval, as a fraction (0..1)" },
  { name: "sidecar_ready_timeout", type: "duration", default: "10s", min: 1,
    description: "How long a spawned sidecar may take to answer /health" },
  { name: "sidecar_shutdown_grace", type: "duration", default: "2s", min: 0,
    description: "Time between SIGTERM and SIGKILL when stopping the sidecar" },
  { name: "sidecar_restart_max", type: "integer", default: 5, min: 1, max: 1000,
    description: "Start attempts before the sidecar is declared degraded" },
  { name: "sidecar_restart_backoff", type: "duration", default: "1s", min: 0,
    description: "First delay before restarting a crashed sidecar; doubles per attempt (±20 % jitter)" },
  { name: "sidecar_restart_backoff_max", type: "duration", default: "30s", min: 0,
    description: "Cap of the restart delay" },
  { name: "sidecar_stable_after", type: "duration", default: "5m", min: 1,
    description: "Continuous readiness after which the restart attempt counter resets" },
  { name: "client_request_timeout", type: "duration", default: "2s", min: 1,
    description: "Deadline of one request to the sidecar" },
  { name: "bundle_retain", type: "integer", default: 3, min: 1, max: 1000,
    description: "Installed bundles kept on disk (the current one always is)" },
  { name: "bundle_max_bytes", type: "size", default: "2GiB", min: 1,
    description: "Largest bundle archive accepted, counted while downloading" },
  { name: "bundle_max_unpacked_bytes", type: "size", default: "8GiB", min: 1,
    description: "Largest total size of a bundle's unpacked files" },
  { name: "bundle_download_timeout", type: "duration", default: "10m", min: 1,
    description: "Longest time one archive download may take" },
  { name: "bundle_min_bytes_per_s", type: "size", default: "10KiB", min: 0,
    description: "Slowest download rate accepted (per second, measured over 30 s); 0 disables the check" },
  { name: "bundle_public_keys", type: "key-list", default: [],
    description: "Base64 raw Ed25519 public keys; when any is set, bundles must carry a valid signature by one" },
  { name: "bundle_schema_range", type: "semver-range", default: "^1.0.0",
    description: "Semver range of bundle schema versions accepted" },
  { name: "allow_insecure_http", type: "boolean", default: false,
    description: "Allow plain http:// endpoints on non-loopback hosts" },
];

const CLOUD: KeyDef[] = [
  { name: "endpoint", type: "url", default: "", description: "Shared cloud endpoint, used when memory.endpoint is empty" },
  { name: "api_key", type: "secret", default: "", secret: true, description: "Shared cloud API key, used when memory.api_key is empty" },
];

function info(section: "memory" | "cloud", d: KeyDef): ConfigKeyInfo {
  if (d.type === "duration") d = { ...d, max: d.max ?? MAX_DURATION_MS };
  const output = d.type === "duration" ? `${d.name}_ms` : d.name;
  return Object.freeze({
    ...d,
    key: `${section}.${d.name}`,
    section,
    env: `RECALL_${section.toUpperCase()}_${d.name.toUpperCase()}`,
    output,
    secret: d.secret ?? false,
    ...(d.values ? { values: Object.freeze([...d.values]) } : {}),
    default: Array.isArray(d.default) ? Object.freeze([...(d.default as readonly string[])]) : d.default,
  });
}

/**
 * Every config key, `memory.*` then `cloud.*`, with its default, type,
 * environment variable and description. `recall config` and the docs are
 * generated from it; `loadConfig` validates against it.
 */
export const CONFIG_KEYS: readonly ConfigKeyInfo[] = Object.freeze([
  ...MEMORY.map((d) => info("memory", d)),
  ...CLOUD.map((d) => info("cloud", d)),
]);

/** Lookup of {@link CONFIG_KEYS} by dotted key. */
export const CONFIG_KEY_MAP: ReadonlyMap<string, ConfigKeyInfo> = new Map(CONFIG_KEYS.map((k) => [k.key, k]));

/** The top-level sections a config file may have. */
export const CONFIG_SECTIONS = Object.freeze(["memory", "cloud"] as const);
