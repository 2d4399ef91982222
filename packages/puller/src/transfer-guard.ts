import type { Clock } from "./types";

/** Why a {@link TransferGuard} cut a transfer off. */
export type GuardTrip = "download_timeout" | "too_slow";

/** Limits of one transfer. */
export interface TransferLimits {
  /** Overall deadline from `start()`, in ms. */
  deadlineMs: number;
  /** Minimum average throughput over any `windowMs` window; 0 disables. */
  minBytesPerSec: number;
  /** Length of the sliding window, in ms. */
  windowMs: number;
}

/**
 * Watches a transfer against an overall deadline and a minimum throughput
 * over a sliding window (the slow-retrieval attack of docs/endpoint.md): a server
 * that trickles bytes forever is cut off. Time spent waiting for headers
 * counts too. Timers go through the injected clock.
 */
export class TransferGuard {
  /** Aborted with an Error whose `reason` is the trip, when a limit is passed. */
  readonly signal: AbortSignal;
  private readonly ac = new AbortController();
  private readonly stopper = new AbortController();
  private bytes = 0;
  private startedAt = 0;
  private samples: { t: number; bytes: number }[] = [];
  private trip: GuardTrip | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly limits: TransferLimits,
  ) {
    this.signal = this.ac.signal;
  }

  /** What tripped, or null. */
  get tripped(): GuardTrip | null {
    return this.trip;
  }

  /** Bytes counted so far. */
  get total(): number {
    return this.bytes;
  }

  /** Starts the clock; call once. */
  start(): void {
    this.startedAt = this.clock.now();
    this.samples = [{ t: this.startedAt, bytes: 0 }];
    void this.watch();
  }

  /** Counts received bytes. */
  add(n: number): void {
    this.bytes += n;
  }

  /** Stops watching (transfer finished or failed for another reason). */
  stop(): void {
    this.stopper.abort();
  }

  private fire(trip: GuardTrip): void {
    if (this.trip !== null) return;
    this.trip = trip;
    this.ac.abort(Object.assign(new Error(trip === "too_slow" ? "transfer too slow" : "transfer deadline passed"), { reason: trip }));
  }

  private async watch(): Promise<void> {
    const { deadlineMs, minBytesPerSec, windowMs } = this.limits;
    const step = Math.max(1, Math.min(1000, Math.floor(windowMs / 4), deadlineMs));
    while (!this.stopper.signal.aborted && this.trip === null) {
      try {
        await this.clock.sleep(step, this.stopper.signal);
      } catch {
        return;
      }
      const now = this.clock.now();
      if (now - this.startedAt >= deadlineMs) return this.fire("download_timeout");
      this.samples.push({ t: now, bytes: this.bytes });
      if (minBytesPerSec <= 0 || now - this.startedAt < windowMs) continue;
      // oldest sample still inside the window is the baseline; drop older ones
      while (this.samples.length > 1 && now - this.samples[1]!.t >= windowMs) this.samples.shift();
      const base = this.samples[0]!;
      const span = now - base.t;
      if (span > 0 && ((this.bytes - base.bytes) * 1000) / span < minBytesPerSec) return this.fire("too_slow");
    }
  }
}
