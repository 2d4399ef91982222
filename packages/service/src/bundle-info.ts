import type { Health } from "@recall/protocol";
import type { ServiceContext } from "./context";
import type { StatusSnapshot } from "./types";

/** `snapshot()` re-reads the bundle root in the background at most this often. */
const BUNDLE_REFRESH_MIN_MS = 1000;
/** Longest single timer Node accepts (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Bundle = Omit<StatusSnapshot["bundle"], "expired">;
type LastPull = StatusSnapshot["last_pull"];

const NO_BUNDLE: Bundle = { bundle_id: null, schema_version: null, installed_at: null, expires_at: null };

/**
 * The installed bundle and the last pull as the bundle root records them
 * (`readBundleState`), kept fresh by {@link refresh}, and the bundle's expiry:
 * `memory_bundle_expired` once per bundle, when `expires_at` comes
 * (serve-with-warning, docs/status.md).
 */
export class BundleInfo {
  readonly #ctx: ServiceContext;
  /** Called the first time a bundle is found expired (after the audit event and the log line). */
  readonly #onExpired: () => void;
  #bundle: Bundle = NO_BUNDLE;
  #lastPull: LastPull = { at: null, outcome: null, error: null };
  /** The bundle whose expiry was last audited (memory_bundle_expired fires once per bundle). */
  #expiredNoticeFor: string | null = null;
  #expiryTimer: AbortController | null = null;
  #expiryTimerFor: string | null = null;
  #refresh: Promise<void> | null = null;
  #refreshAgain = false;
  #refreshNext: Promise<void> | null = null;
  #refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(ctx: ServiceContext, onExpired: () => void) {
    this.#ctx = ctx;
    this.#onExpired = onExpired;
  }

  /** A copy of the bundle fields (without `expired`). */
  get bundle(): Bundle {
    return { ...this.#bundle };
  }

  get bundleId(): string | null {
    return this.#bundle.bundle_id;
  }

  get expiresAt(): string | null {
    return this.#bundle.expires_at;
  }

  /** A copy of `last_pull`. */
  get lastPull(): LastPull {
    return { ...this.#lastPull };
  }

  /** The read in flight, if any (`stop()` waits for it). */
  get inFlight(): Promise<void> | null {
    return this.#refresh;
  }

  /** Starts a background re-read when none ran for a second (what `snapshot()` calls). */
  refreshIfStale(): void {
    if (this.#refresh === null && this.#ctx.clock.now() - this.#refreshedAt >= BUNDLE_REFRESH_MIN_MS && !this.#ctx.stopping) {
      void this.refresh();
    }
  }

  /** The sidecar's word is the freshest: shows the bundle a ready health body names at once. */
  takeFromHealth(h: Health): void {
    this.#bundle = {
      bundle_id: h.bundle_id,
      schema_version: h.schema_version,
      installed_at: this.#bundle.installed_at,
      expires_at: healthExpiresAt(h),
    };
    this.#armExpiry();
  }

  /** Re-reads the bundle root; never rejects. */
  refresh(): Promise<void> {
    if (this.#refresh !== null) {
      // A read already in flight may predate the change that asked for this one: its result is
      // dropped and one more read follows it (shared by every caller that asked meanwhile).
      this.#refreshAgain = true;
      this.#refreshNext ??= this.#refresh.then(() => {
        this.#refreshNext = null;
        return this.refresh();
      });
      return this.#refreshNext;
    }
    this.#refreshAgain = false;
    const ctx = this.#ctx;
    this.#refresh = ctx.parts
      .readBundleState(ctx.o.bundleRoot)
      .then(
        (s) => {
          if (this.#refreshAgain) return; // stale: a newer read follows
          this.#bundle = s.current
            ? {
                bundle_id: s.current.bundle_id,
                schema_version: s.current.schema_version,
                installed_at: s.current.installed_at,
                expires_at: s.current.expires_at ?? null,
              }
            : NO_BUNDLE;
          this.#armExpiry();
          this.checkExpiry();
          const lp = s.state?.last_pull ?? null;
          this.#lastPull = lp ? { at: lp.at, outcome: lp.outcome, error: lp.error ?? null } : { at: null, outcome: null, error: null };
        },
        (err: unknown) => {
          ctx.logger.debug({ err: ctx.errorSummary(err) }, "memory bundle state unreadable");
        },
      )
      .finally(() => {
        this.#refresh = null;
        this.#refreshedAt = ctx.clock.now();
      });
    return this.#refresh;
  }

  /**
   * Whether the installed bundle is past its `expires_at` now. The first time a
   * bundle is found expired: audit `memory_bundle_expired` (once per bundle), a
   * log warning and `onExpired`. The bundle keeps being served.
   */
  checkExpiry(): boolean {
    const { bundle_id, expires_at } = this.#bundle;
    if (bundle_id === null || expires_at === null) return false;
    const at = Date.parse(expires_at);
    if (!Number.isFinite(at) || at > this.#ctx.clock.now()) return false;
    if (this.#expiredNoticeFor !== bundle_id) {
      this.#expiredNoticeFor = bundle_id;
      this.#ctx.auditLog("memory_bundle_expired", { bundle_id, expires_at });
      this.#ctx.logger.warn({ bundle_id, expires_at }, "memory bundle expired: still served until a newer one is installed");
      this.#onExpired();
    }
    return true;
  }

  /** Cancels the expiry timer (at stop). */
  stop(): void {
    this.#expiryTimer?.abort();
  }

  /** Wakes {@link checkExpiry} when the installed bundle's `expires_at` comes, without waiting for a pull. */
  #armExpiry(): void {
    const { bundle_id, expires_at } = this.#bundle;
    const key = bundle_id !== null && expires_at !== null ? `${bundle_id}@${expires_at}` : null;
    if (key === this.#expiryTimerFor) return;
    this.#expiryTimer?.abort();
    this.#expiryTimer = null;
    this.#expiryTimerFor = key;
    const at = expires_at === null ? Number.NaN : Date.parse(expires_at);
    if (key === null || !Number.isFinite(at) || this.#ctx.stopping) return;
    const timer = new AbortController();
    this.#expiryTimer = timer;
    const signal = AbortSignal.any([timer.signal, this.#ctx.signal]);
    const clock = this.#ctx.clock;
    void (async () => {
      for (let left = at - clock.now(); left > 0; left = at - clock.now()) {
        await clock.sleep(Math.min(left, MAX_TIMER_MS), signal);
      }
      if (!signal.aborted) this.checkExpiry();
    })().catch(() => {});
  }
}

/** `expires_at` from a sidecar's health body, when the sidecar reports one (tlm does; the protocol keeps it optional). */
function healthExpiresAt(h: Health): string | null {
  const v = (h as { expires_at?: unknown }).expires_at;
  return typeof v === "string" ? v : null;
}
