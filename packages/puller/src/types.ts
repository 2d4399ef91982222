import type { AuditSink, Clock, Logger } from "@recall/ports";

/** The injected seams (logger, audit sink, clock) have one home: `@recall/ports`. */
export type { AuditSink, Clock, Logger };

/** Phase reported to `onProgress` (for the CLI's progress bar). */
export type PullPhase = "manifest" | "download" | "install" | "reload";

/** Progress event: bytes done of `total` (0 when unknown) in one phase. */
export interface PullProgress {
  phase: PullPhase;
  bytes: number;
  total: number;
}

/**
 * Why a pull failed (transient or environmental; the next tick retries):
 * - `unauthorized`: 401/403 on the manifest or archive.
 * - `http_status`: any other unexpected HTTP status.
 * - `network`: connection refused, reset, dropped mid-body, DNS.
 * - `timeout`: the manifest request passed its deadline.
 * - `download_timeout`: the archive download passed `downloadTimeoutMs`.
 * - `too_slow`: fewer than `minBytesPerSec` over `minRateWindowMs` (slow-retrieval attack).
 * - `manifest_too_large`: the manifest body passed `maxManifestBytes`.
 * - `insecure_url`: plain http:// to a non-loopback host without `allowInsecureHttp`, or a bad URL.
 * - `io`: the local disk failed (full, permissions).
 * - `unsafe_dir`: `staging/` or `bundles/` is a symlink (or not a directory); nothing was touched.
 * - `aborted`: the caller's signal fired.
 * - `not_found`: `installLocal` found no manifest or archive at the given path.
 */
export type FailReason =
  | "unauthorized"
  | "http_status"
  | "network"
  | "timeout"
  | "download_timeout"
  | "too_slow"
  | "manifest_too_large"
  | "insecure_url"
  | "io"
  | "unsafe_dir"
  | "aborted"
  | "not_found";

/**
 * Result of one pull or local install. Never thrown: every expected outcome is a value.
 * An `unchanged` pull (HTTP 304) whose installed bundle is past its `expires_at` says so
 * with `expired: true` and `expires_at` (the bundle keeps being served: docs/status.md).
 */
export type PullOutcome =
  | { outcome: "installed"; bundle_id: string; schema_version: string }
  | { outcome: "unchanged"; expired?: true; expires_at?: string }
  | { outcome: "none" }
  | { outcome: "busy" }
  | { outcome: "rejected"; reason: string; path?: string }
  | { outcome: "failed"; reason: FailReason; message: string };

/** Content of `<bundle_root>/state.json` (docs/bundle-root.md). */
export interface StateJson {
  etag: string | null;
  highest_bundle_id: string | null;
  last_pull: { at: string; outcome: PullOutcome["outcome"]; error?: string } | null;
  last_success: { at: string } | null;
  installed: { bundle_id: string; at: string } | null;
}

/** The bundle `current` points at, as read from its manifest. */
export interface CurrentBundle {
  bundle_id: string;
  schema_version: string;
  installed_at: string | null;
  /** The manifest's `expires_at`, or null when it has none. */
  expires_at: string | null;
}
