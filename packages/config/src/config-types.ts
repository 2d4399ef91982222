/** The `memory` section of a loaded config: durations in ms, sizes in bytes, absolute paths. */
export interface MemoryConfig {
  readonly provider: "disabled" | "local" | "cloud";
  /** Effective endpoint: `memory.endpoint`, else `cloud.endpoint`, else "". */
  readonly endpoint: string;
  /** Effective API key: `memory.api_key`, else `cloud.api_key`, else "". Never print it; see `redact`. */
  readonly api_key: string;
  readonly socket_path: string;
  readonly bundle_root: string;
  /** "" when unset; an absolute path, or a bare command name looked up on PATH. */
  readonly tlm_path: string;
  readonly bundle_pull_interval_ms: number;
  readonly bundle_pull_startup_delay_ms: number;
  readonly bundle_pull_jitter: number;
  readonly sidecar_ready_timeout_ms: number;
  readonly sidecar_shutdown_grace_ms: number;
  readonly sidecar_restart_max: number;
  readonly sidecar_restart_backoff_ms: number;
  readonly sidecar_restart_backoff_max_ms: number;
  readonly sidecar_stable_after_ms: number;
  readonly client_request_timeout_ms: number;
  readonly bundle_retain: number;
  readonly bundle_max_bytes: number;
  readonly bundle_max_unpacked_bytes: number;
  readonly bundle_download_timeout_ms: number;
  readonly bundle_min_bytes_per_s: number;
  readonly bundle_public_keys: readonly string[];
  readonly bundle_schema_range: string;
  readonly allow_insecure_http: boolean;
}

/** The `cloud` section as configured (no fallback applied). */
export interface CloudConfig {
  readonly endpoint: string;
  readonly api_key: string;
}

/** A loaded, validated, deep-frozen configuration. */
export interface RecallConfig {
  /** Absolute path of the YAML file that was read, or null when none was. */
  readonly configFile: string | null;
  readonly memory: MemoryConfig;
  readonly cloud: CloudConfig;
}
