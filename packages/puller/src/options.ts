import { realClock, noopAudit, noopLogger } from "./defaults";
import { PullerError } from "./errors";
import type { AuditSink, Clock, Logger } from "./types";

/** The puller's own options (never the whole config). Sizes in bytes, durations in ms. */
export interface PullerOptions {
  /** Endpoint base URL; the manifest is `{endpoint}/api/v1/memory/bundle/manifest`. */
  endpoint: string;
  /** API key, sent as `X-API-Key` to the endpoint's origin only. */
  apiKey: string;
  /** Bundle root directory (docs/bundle-root.md). */
  bundleRoot: string;
  /** Sidecar socket to `POST /bundle/reload` after an install; omitted = no reload. */
  socketPath?: string;
  /** Base64 raw Ed25519 public keys; when non-empty a valid signature is required. */
  publicKeys?: readonly string[];
  /** Accepted `schema_version` range (semver), default `^1.0.0`. */
  schemaRange?: string;
  /** Bundles kept (besides `current`), default 3. */
  retain?: number;
  /** Archive size cap, default 2 GiB. */
  maxBytes?: number;
  /** Unpacked size cap, default 8 GiB. */
  maxUnpackedBytes?: number;
  /** Manifest body cap, default 1 MiB. */
  maxManifestBytes?: number;
  /** Manifest request deadline, default 30 s. */
  manifestTimeoutMs?: number;
  /** Whole-download deadline, default 10 min. */
  downloadTimeoutMs?: number;
  /** Minimum throughput over the window, default 10 KiB/s; 0 disables. */
  minBytesPerSec?: number;
  /** Sliding window of the throughput check, default 30 s. */
  minRateWindowMs?: number;
  /** Allow plain http:// to non-loopback hosts, default false. */
  allowInsecureHttp?: boolean;
  /** Delay of the first scheduled tick, default 30 s. */
  startupDelayMs?: number;
  /** Interval between ticks, default 24 h. */
  intervalMs?: number;
  /** Relative jitter of the interval (0..1), default 0.1. */
  jitter?: number;
  /** Reload request deadline, default 5 s. */
  reloadTimeoutMs?: number;
  audit?: AuditSink;
  logger?: Logger;
  clock?: Clock;
  /** Random source in [0, 1) for the jitter, default Math.random. */
  random?: () => number;
}

/** Options with every default applied (frozen copy; the caller's object is never mutated). */
export type ResolvedPullerOptions = Readonly<Required<Omit<PullerOptions, "socketPath">> & { socketPath: string | undefined }>;

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function positive(name: string, v: number, allowZero = false): number {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new PullerError("PULLER_INVALID_OPTIONS", `option ${name} must be a ${allowZero ? "non-negative" : "positive"} number`);
  }
  return v;
}

/** Applies defaults and validates; throws PullerError(PULLER_INVALID_OPTIONS) on programmer error. */
export function resolveOptions(o: PullerOptions): ResolvedPullerOptions {
  if (typeof o?.bundleRoot !== "string" || o.bundleRoot === "") {
    throw new PullerError("PULLER_INVALID_OPTIONS", "option bundleRoot is required");
  }
  const r = {
    endpoint: String(o.endpoint ?? ""),
    apiKey: String(o.apiKey ?? ""),
    bundleRoot: o.bundleRoot,
    socketPath: o.socketPath || undefined,
    publicKeys: Object.freeze([...(o.publicKeys ?? [])]),
    schemaRange: o.schemaRange ?? "^1.0.0",
    retain: Math.floor(positive("retain", o.retain ?? 3)),
    maxBytes: positive("maxBytes", o.maxBytes ?? 2 * GiB),
    maxUnpackedBytes: positive("maxUnpackedBytes", o.maxUnpackedBytes ?? 8 * GiB),
    maxManifestBytes: positive("maxManifestBytes", o.maxManifestBytes ?? MiB),
    manifestTimeoutMs: positive("manifestTimeoutMs", o.manifestTimeoutMs ?? 30_000),
    downloadTimeoutMs: positive("downloadTimeoutMs", o.downloadTimeoutMs ?? 10 * 60_000),
    minBytesPerSec: positive("minBytesPerSec", o.minBytesPerSec ?? 10 * KiB, true),
    minRateWindowMs: positive("minRateWindowMs", o.minRateWindowMs ?? 30_000),
    allowInsecureHttp: o.allowInsecureHttp ?? false,
    startupDelayMs: positive("startupDelayMs", o.startupDelayMs ?? 30_000, true),
    intervalMs: positive("intervalMs", o.intervalMs ?? 24 * 3600_000),
    jitter: Math.min(1, positive("jitter", o.jitter ?? 0.1, true)),
    reloadTimeoutMs: positive("reloadTimeoutMs", o.reloadTimeoutMs ?? 5000),
    audit: o.audit ?? noopAudit,
    logger: o.logger ?? noopLogger,
    clock: o.clock ?? realClock,
    random: o.random ?? Math.random,
  };
  return Object.freeze(r);
}
