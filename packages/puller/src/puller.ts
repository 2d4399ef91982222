import { Transform, pipeline as pipe } from "node:stream";
import { headerValue, httpGet, readCapped, type HttpFailure } from "./http";
import { resolveOptions, type PullerOptions, type ResolvedPullerOptions } from "./options";
import {
  auditOutcome,
  decideManifest,
  extractAndInstall,
  failed,
  recordLastPull,
  withRootLock,
  type PipelineContext,
  type RootSnapshot,
} from "./pipeline";
import { PullSchedule } from "./schedule";
import { ensureTenant, tenantFingerprint } from "./tenant";
import { TransferGuard } from "./transfer-guard";
import { manifestUrlOf, checkUrl } from "./url-policy";
import { reloadSidecar } from "./reload";
import type { PullOutcome, PullProgress, StateJson } from "./types";
import { byteOrder, hasValidCurrent } from "./bundle-root";

/** Options of one {@link Puller.tick}. */
export interface TickOptions {
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
}

/** Options of {@link Puller.runSchedule}. */
export interface ScheduleOptions {
  signal: AbortSignal;
  /** Pull at once when there is no valid `current` (default true). */
  bootstrap?: boolean;
  onOutcome?: (o: PullOutcome) => void;
}

/**
 * Pulls signed memory bundles from an HTTP endpoint and installs them
 * atomically into a bundle root (docs/endpoint.md, docs/bundle-root.md). One `tick()` is one pull;
 * `runSchedule()` runs the cloud schedule; `pullNow()` wakes it.
 */
export class Puller {
  private readonly o: ResolvedPullerOptions;
  private readonly ctx: PipelineContext;
  private readonly fingerprint: string;
  private readonly schedule: PullSchedule;

  /** Throws PullerError(PULLER_INVALID_OPTIONS) on bad options; touches nothing on disk. */
  constructor(options: PullerOptions) {
    this.o = resolveOptions(options);
    this.fingerprint = tenantFingerprint(this.o.apiKey);
    this.ctx = {
      bundleRoot: this.o.bundleRoot,
      socketPath: this.o.socketPath,
      publicKeys: this.o.publicKeys,
      schemaRange: this.o.schemaRange,
      retain: this.o.retain,
      maxBytes: this.o.maxBytes,
      maxUnpackedBytes: this.o.maxUnpackedBytes,
      tenant: this.fingerprint,
      reloadTimeoutMs: this.o.reloadTimeoutMs,
      audit: this.o.audit,
      logger: this.o.logger,
      clock: this.o.clock,
    };
    this.schedule = new PullSchedule({
      tick: (signal) => this.tick({ signal }),
      hasValidCurrent: () => hasValidCurrent(this.o.bundleRoot),
      clock: this.o.clock,
      random: this.o.random,
      startupDelayMs: this.o.startupDelayMs,
      intervalMs: this.o.intervalMs,
      jitter: this.o.jitter,
    });
  }

  /**
   * One pull: lock, recover, tenant check, manifest, verify, download,
   * install, reload, retention. Returns the outcome; never throws for
   * expected outcomes (network, HTTP, rejection, busy, disk).
   */
  async tick(opts: TickOptions = {}): Promise<PullOutcome> {
    const signal = opts.signal ?? new AbortController().signal;
    if (signal.aborted) return failed("aborted", "aborted");
    let bundleId: string | undefined;
    let outcome: PullOutcome;
    try {
      outcome = await withRootLock(
        this.ctx,
        async (snap) => {
          let patch: Partial<StateJson> = {};
          const r = await this.pullLocked(snap, signal, opts.onProgress, {
            setId: (id) => (bundleId = id),
            setPatch: (p) => (patch = p),
          });
          if (r.outcome !== "installed") await recordLastPull(this.ctx, snap.state, r, patch);
          return r;
        },
        () => this.checkTenant(),
      );
    } catch (err) {
      outcome = failed("io", `unexpected failure (${(err as { code?: string })?.code ?? "error"})`);
    }
    outcome = this.redact(outcome);
    auditOutcome(this.ctx, outcome, bundleId);
    this.o.logger.info({ ...outcome }, "pull finished");
    return outcome;
  }

  private async checkTenant(): Promise<void> {
    if (await ensureTenant(this.o.bundleRoot, this.fingerprint)) {
      this.o.audit.log("memory_tenant_switch", {});
      this.o.logger.warn({}, "API key changed: bundle root wiped");
      if (this.o.socketPath) {
        await reloadSidecar(this.o.socketPath, { clock: this.o.clock, audit: this.o.audit, logger: this.o.logger, timeoutMs: this.o.reloadTimeoutMs });
      }
    }
  }

  private async pullLocked(
    snap: RootSnapshot,
    signal: AbortSignal,
    onProgress: TickOptions["onProgress"],
    out: { setId: (id: string) => void; setPatch: (p: Partial<StateJson>) => void },
  ): Promise<PullOutcome> {
    let manifestUrl: URL;
    try {
      manifestUrl = manifestUrlOf(this.o.endpoint);
    } catch {
      return failed("insecure_url", "the endpoint is not a valid URL");
    }
    const refused = checkUrl(manifestUrl, this.o.allowInsecureHttp);
    if (refused !== null) return failed("insecure_url", refused);
    onProgress?.({ phase: "manifest", bytes: 0, total: 0 });

    // the ETag is only worth sending when what it describes is still installed
    const etag =
      snap.current !== null && snap.state.installed?.bundle_id === snap.current.bundle_id ? snap.state.etag : null;
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = this.o.clock.sleep(this.o.manifestTimeoutMs, ac.signal).then(
      () => ac.abort(new Error("manifest timeout")),
      () => {},
    );
    let res;
    let body;
    try {
      res = await httpGet(manifestUrl, {
        keyOrigin: manifestUrl,
        apiKey: this.o.apiKey,
        extraHeaders: etag ? { "if-none-match": etag } : {},
        allowInsecureHttp: this.o.allowInsecureHttp,
        signal: ac.signal,
        headersTimeoutMs: this.o.manifestTimeoutMs,
        bodyTimeoutMs: this.o.manifestTimeoutMs,
      });
      if (res.ok) body = await readCapped(res.body, this.o.maxManifestBytes);
    } finally {
      signal.removeEventListener("abort", onAbort);
      const timedOut = ac.signal.aborted && !signal.aborted;
      ac.abort();
      await timer;
      if (timedOut && (!res || !res.ok || !body?.ok)) {
        res = { ok: false, reason: "timeout", message: "manifest request timed out" } satisfies HttpFailure;
      }
    }
    if (!res.ok) return failed(res.reason, res.message);
    if (res.status === 304) {
      await res.body.dump().catch(() => {});
      return this.unchangedInstalled(snap);
    }
    if (res.status === 404) return { outcome: "none" };
    if (res.status === 401 || res.status === 403) return failed("unauthorized", `manifest request refused (HTTP ${res.status})`);
    if (res.status !== 200) return failed("http_status", `manifest request failed (HTTP ${res.status})`);
    if (!body || !body.ok) {
      if (signal.aborted) return failed("aborted", "aborted");
      return body?.tooLarge
        ? failed("manifest_too_large", `manifest larger than ${this.o.maxManifestBytes} bytes`)
        : failed("network", "manifest body interrupted");
    }
    const newEtag = headerValue(res.headers, "etag") ?? null;
    onProgress?.({ phase: "manifest", bytes: body.data.length, total: body.data.length });
    let raw: unknown;
    try {
      raw = JSON.parse(body.data.toString("utf8"));
    } catch {
      return { outcome: "rejected", reason: "bad_manifest" };
    }
    const decision = await decideManifest(this.ctx, raw, snap);
    if (decision.kind === "rejected") return decision.outcome;
    out.setId(decision.manifest.bundle_id);
    if (decision.kind === "unchanged") {
      // repairs a state.json that a crash left behind the installed bundle
      const prev = snap.state.highest_bundle_id;
      out.setPatch({
        etag: newEtag ?? snap.state.etag,
        highest_bundle_id: prev !== null && byteOrder(prev, decision.manifest.bundle_id) > 0 ? prev : decision.manifest.bundle_id,
        ...(snap.state.installed?.bundle_id === decision.manifest.bundle_id
          ? {}
          : { installed: { bundle_id: decision.manifest.bundle_id, at: new Date(this.o.clock.now()).toISOString() } }),
      });
      return { outcome: "unchanged" };
    }
    return this.download(manifestUrl, decision.manifest, snap, newEtag, signal, onProgress);
  }

  private async download(
    manifestUrl: URL,
    manifest: Parameters<typeof extractAndInstall>[1]["manifest"],
    snap: RootSnapshot,
    etag: string | null,
    signal: AbortSignal,
    onProgress: TickOptions["onProgress"],
  ): Promise<PullOutcome> {
    let archiveUrl: URL;
    try {
      archiveUrl = new URL(manifest.archive.path, manifestUrl);
    } catch {
      return { outcome: "rejected", reason: "bad_manifest" };
    }
    const guard = new TransferGuard(this.o.clock, {
      deadlineMs: this.o.downloadTimeoutMs,
      minBytesPerSec: this.o.minBytesPerSec,
      windowMs: this.o.minRateWindowMs,
    });
    const ac = new AbortController();
    const abortAll = (reason: unknown) => ac.abort(reason);
    const onParent = () => abortAll(signal.reason);
    const onGuard = () => abortAll(guard.signal.reason);
    signal.addEventListener("abort", onParent, { once: true });
    guard.signal.addEventListener("abort", onGuard, { once: true });
    guard.start();
    let netError: unknown = null;
    const sourceFailure = () => {
      if (guard.tripped === "too_slow") {
        return { reason: "too_slow" as const, message: `download slower than ${this.o.minBytesPerSec} B/s over ${this.o.minRateWindowMs} ms` };
      }
      if (guard.tripped === "download_timeout") {
        return { reason: "download_timeout" as const, message: `download longer than ${this.o.downloadTimeoutMs} ms` };
      }
      if (signal.aborted) return { reason: "aborted" as const, message: "aborted" };
      if (netError !== null) return { reason: "network" as const, message: `archive download interrupted (${(netError as { code?: string })?.code ?? "error"})` };
      return null;
    };
    try {
      onProgress?.({ phase: "download", bytes: 0, total: manifest.archive.size });
      const res = await httpGet(archiveUrl, {
        keyOrigin: manifestUrl,
        apiKey: this.o.apiKey,
        allowInsecureHttp: this.o.allowInsecureHttp,
        signal: ac.signal,
        headersTimeoutMs: this.o.downloadTimeoutMs,
        bodyTimeoutMs: this.o.downloadTimeoutMs,
      });
      if (!res.ok) {
        const sf = sourceFailure();
        return sf ? failed(sf.reason, sf.message) : failed(res.reason, res.message);
      }
      if (res.status !== 200) {
        await res.body.dump().catch(() => {});
        if (res.status === 401 || res.status === 403) return failed("unauthorized", `archive request refused (HTTP ${res.status})`);
        return failed("http_status", `archive request failed (HTTP ${res.status})`);
      }
      let bytes = 0;
      const total = manifest.archive.size;
      const counter = new Transform({
        highWaterMark: 256 * 1024,
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          guard.add(chunk.length);
          onProgress?.({ phase: "download", bytes, total });
          cb(null, chunk);
        },
      });
      pipe(res.body, counter, (err) => {
        if (err && netError === null) netError = err;
      });
      return await extractAndInstall(this.ctx, {
        manifest,
        source: counter,
        sourceFailure,
        snap,
        etag,
        signal: ac.signal,
        afterExtract: () => guard.stop(),
        reloadSignal: signal,
        ...(onProgress ? { onProgress } : {}),
      });
    } finally {
      guard.stop();
      signal.removeEventListener("abort", onParent);
      guard.signal.removeEventListener("abort", onGuard);
      ac.abort();
    }
  }

  /**
   * Runs the cloud schedule until `signal` aborts (docs/bundle-root.md): a bootstrap
   * tick when there is no valid `current`, the startup delay, then every
   * interval ± jitter; after a failure, retries at 1 min doubling up to the
   * interval. Resolves when aborted; never rejects.
   */
  runSchedule(opts: ScheduleOptions): Promise<void> {
    return this.schedule.run(opts);
  }

  /** Pulls now: wakes the running schedule and returns that tick's outcome, or runs one tick. */
  pullNow(): Promise<PullOutcome> {
    return this.schedule.pullNow();
  }

  /**
   * A 304 skips the manifest policy, so the expiry of what is installed is
   * checked here: an expired `current` is still served (docs/status.md) but
   * the outcome says so and a warning is logged.
   */
  private unchangedInstalled(snap: RootSnapshot): PullOutcome {
    const expiresAt = snap.current?.expires_at;
    if (expiresAt === undefined || !(Date.parse(expiresAt) <= this.o.clock.now())) return { outcome: "unchanged" };
    this.o.logger.warn({ bundle_id: snap.current?.bundle_id, expires_at: expiresAt }, "the endpoint says unchanged but the installed bundle has expired");
    return { outcome: "unchanged", expired: true, expires_at: expiresAt };
  }

  private redact(o: PullOutcome): PullOutcome {
    const key = this.o.apiKey;
    // messages are built without the key; this is a last guard (too short a key would only mangle words)
    if (o.outcome !== "failed" || key.length < 8) return o;
    return { ...o, message: o.message.split(key).join("[redacted]") };
  }
}
