import * as z from "zod";
import { ServiceOptionsError } from "./errors";
import type { BackoffSettings, Fallback, Provider, PullerSettings, ServiceMode, ServiceOptions } from "./types";

/** docs/sidecar.md restart backoff. */
export const DEFAULT_BACKOFF: Readonly<BackoffSettings> = Object.freeze({
  initialMs: 1000,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
});

/** Defaults of the optional {@link ServiceOptions} fields. */
export const SERVICE_DEFAULTS = Object.freeze({
  attachProbeIntervalMs: 2000,
  stableAfterMs: 300_000,
  bootstrapTimeoutMs: 60_000,
  version: "0.0.0",
});

/**
 * The subset of `@recall/config`'s `RecallConfig` the service reads. A
 * `RecallConfig` is assignable to it.
 */
export interface ServiceConfigInput {
  readonly memory: {
    /** `""` means disabled (seed parity). */
    readonly provider: "disabled" | "local" | "cloud" | "";
    readonly endpoint: string;
    readonly api_key: string;
    readonly socket_path: string;
    readonly bundle_root: string;
    readonly tlm_path: string;
    readonly bundle_pull_interval_ms: number;
    readonly bundle_pull_startup_delay_ms: number;
    readonly bundle_pull_jitter: number;
    readonly sidecar_ready_timeout_ms: number;
    readonly sidecar_shutdown_grace_ms: number;
    readonly sidecar_restart_max: number;
    /** Supervisor schedule (config keys beyond docs/config.md); docs/sidecar.md defaults when absent. */
    readonly sidecar_restart_backoff_ms?: number;
    readonly sidecar_restart_backoff_max_ms?: number;
    readonly sidecar_stable_after_ms?: number;
    readonly client_request_timeout_ms: number;
    readonly bundle_retain: number;
    readonly bundle_max_bytes: number;
    readonly bundle_max_unpacked_bytes: number;
    readonly bundle_download_timeout_ms: number;
    readonly bundle_min_bytes_per_s: number;
    readonly bundle_public_keys: readonly string[];
    readonly bundle_schema_range: string;
    readonly allow_insecure_http: boolean;
  };
}

/**
 * Maps the effective config to service options: the one place (with the
 * apps) where config keys meet library options. `memory.endpoint`/`api_key`
 * already carry the `cloud.*` fallback (done by `@recall/config`).
 */
export function serviceOptionsFromConfig(
  config: ServiceConfigInput,
  overrides: { mode?: ServiceMode; version?: string; fallback?: Fallback } = {},
): ServiceOptions {
  const m = config.memory;
  const opts: ServiceOptions = {
    provider: m.provider,
    mode: overrides.mode ?? "spawn",
    socketPath: m.socket_path,
    bundleRoot: m.bundle_root,
    tlmPath: m.tlm_path,
    readyTimeoutMs: m.sidecar_ready_timeout_ms,
    shutdownGraceMs: m.sidecar_shutdown_grace_ms,
    restartMax: m.sidecar_restart_max,
    requestTimeoutMs: m.client_request_timeout_ms,
    attachProbeIntervalMs: SERVICE_DEFAULTS.attachProbeIntervalMs,
    puller: {
      endpoint: m.endpoint,
      apiKey: m.api_key,
      bundleRoot: m.bundle_root,
      socketPath: m.socket_path,
      publicKeys: [...m.bundle_public_keys],
      schemaRange: m.bundle_schema_range,
      retain: m.bundle_retain,
      maxBytes: m.bundle_max_bytes,
      maxUnpackedBytes: m.bundle_max_unpacked_bytes,
      downloadTimeoutMs: m.bundle_download_timeout_ms,
      minBytesPerSec: m.bundle_min_bytes_per_s,
      allowInsecureHttp: m.allow_insecure_http,
      startupDelayMs: m.bundle_pull_startup_delay_ms,
      intervalMs: m.bundle_pull_interval_ms,
      jitter: m.bundle_pull_jitter,
    },
  };
  if (m.sidecar_restart_backoff_ms !== undefined || m.sidecar_restart_backoff_max_ms !== undefined) {
    opts.backoff = {
      ...(m.sidecar_restart_backoff_ms !== undefined ? { initialMs: m.sidecar_restart_backoff_ms } : {}),
      ...(m.sidecar_restart_backoff_max_ms !== undefined ? { maxMs: m.sidecar_restart_backoff_max_ms } : {}),
    };
  }
  if (m.sidecar_stable_after_ms !== undefined) opts.stableAfterMs = m.sidecar_stable_after_ms;
  if (overrides.version !== undefined) opts.version = overrides.version;
  if (overrides.fallback !== undefined) opts.fallback = overrides.fallback;
  return opts;
}

const ms = z.number().int().nonnegative();
const positiveMs = z.number().int().positive();

const PullerSettingsSchema = z.object({
  endpoint: z.string(),
  apiKey: z.string(),
  bundleRoot: z.string().min(1).optional(),
  socketPath: z.string().min(1).optional(),
  publicKeys: z.array(z.string()),
  schemaRange: z.string().min(1),
  retain: z.number().int().min(1),
  maxBytes: z.number().int().positive(),
  maxUnpackedBytes: z.number().int().positive(),
  maxManifestBytes: z.number().int().positive().optional(),
  downloadTimeoutMs: positiveMs,
  minBytesPerSec: z.number().nonnegative(),
  minRateWindowMs: positiveMs.optional(),
  allowInsecureHttp: z.boolean(),
  startupDelayMs: ms,
  intervalMs: positiveMs,
  jitter: z.number().min(0).max(1),
  random: z.custom<() => number>((v) => typeof v === "function").optional(),
});

const ServiceOptionsSchema = z.object({
  provider: z.enum(["disabled", "local", "cloud", ""]),
  mode: z.enum(["spawn", "attach"]),
  socketPath: z.string().min(1),
  bundleRoot: z.string().min(1),
  tlmPath: z.string(),
  readyTimeoutMs: positiveMs,
  shutdownGraceMs: ms,
  restartMax: z.number().int().min(1),
  requestTimeoutMs: positiveMs,
  attachProbeIntervalMs: positiveMs.optional(),
  puller: PullerSettingsSchema,
  fallback: z.custom<Fallback>((v) => typeof v === "function").optional(),
  version: z.string().optional(),
  backoff: z
    .object({
      initialMs: ms.optional(),
      maxMs: ms.optional(),
      factor: z.number().min(1).optional(),
      jitter: z.number().min(0).max(1).optional(),
    })
    .optional(),
  stableAfterMs: positiveMs.optional(),
  bootstrapTimeoutMs: positiveMs.optional(),
  sidecarExtraArgs: z.array(z.string()).optional(),
  sidecarEnv: z.record(z.string(), z.string().optional()).optional(),
  sidecarPollIntervalMs: positiveMs.optional(),
});

/** {@link ServiceOptions} with every default filled in, frozen. */
export interface ResolvedOptions extends Readonly<
  Omit<ServiceOptions, "provider" | "attachProbeIntervalMs" | "stableAfterMs" | "bootstrapTimeoutMs" | "version" | "backoff" | "puller">
> {
  /** `""` resolved to `disabled`. */
  readonly provider: Provider;
  readonly attachProbeIntervalMs: number;
  readonly stableAfterMs: number;
  readonly bootstrapTimeoutMs: number;
  readonly version: string;
  readonly backoff: Readonly<BackoffSettings>;
  readonly puller: Readonly<PullerSettings & { bundleRoot: string; socketPath: string }>;
}

/**
 * Validates options given to the `Service` constructor and fills defaults.
 * Throws {@link ServiceOptionsError} (a programmer error) naming every bad
 * field; the messages never include values, so an API key cannot leak.
 */
export function resolveOptions(input: ServiceOptions): ResolvedOptions {
  const r = ServiceOptionsSchema.safeParse(input);
  if (!r.success) {
    throw new ServiceOptionsError(r.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.code}`));
  }
  const o = input;
  return Object.freeze({
    __proto__: null,
    ...o,
    // the seed service treated an empty provider as disabled; so do we
    provider: o.provider === "" ? "disabled" : o.provider,
    attachProbeIntervalMs: o.attachProbeIntervalMs ?? SERVICE_DEFAULTS.attachProbeIntervalMs,
    stableAfterMs: o.stableAfterMs ?? SERVICE_DEFAULTS.stableAfterMs,
    bootstrapTimeoutMs: o.bootstrapTimeoutMs ?? SERVICE_DEFAULTS.bootstrapTimeoutMs,
    version: o.version ?? SERVICE_DEFAULTS.version,
    backoff: Object.freeze({ ...DEFAULT_BACKOFF, ...stripUndefined(o.backoff ?? {}) }),
    puller: Object.freeze({
      ...o.puller,
      publicKeys: [...o.puller.publicKeys],
      bundleRoot: o.puller.bundleRoot ?? o.bundleRoot,
      socketPath: o.puller.socketPath ?? o.socketPath,
    }),
    sidecarExtraArgs: o.sidecarExtraArgs ? [...o.sidecarExtraArgs] : undefined,
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
