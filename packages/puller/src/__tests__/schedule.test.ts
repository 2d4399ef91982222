import { describe, expect, it } from "vitest";
import { PullSchedule, FAILURE_RETRY_MS } from "../schedule";
import type { PullOutcome } from "../types";
import { FakeClock, settle } from "./fake-clock";

const H = 3600_000;
const ok: PullOutcome = { outcome: "unchanged" };
const fail: PullOutcome = { outcome: "failed", reason: "network", message: "down" };

function harness(opts: { valid?: boolean; random?: () => number; outcomes?: (n: number) => PullOutcome } = {}) {
  const clock = new FakeClock();
  const ticks: number[] = [];
  const schedule = new PullSchedule({
    tick: async () => {
      ticks.push(clock.now());
      return (opts.outcomes ?? (() => ok))(ticks.length);
    },
    hasValidCurrent: async () => opts.valid ?? false,
    clock,
    random: opts.random ?? (() => 0.5),
    startupDelayMs: 30_000,
    intervalMs: 24 * H,
    jitter: 0.1,
  });
  const ac = new AbortController();
  /** Runs the loop until `n` ticks happened (fake time, real milliseconds). */
  async function until(n: number) {
    for (let guard = 0; ticks.length < n && guard < 100_000; guard++) {
      await settle();
      if (ticks.length >= n) break;
      clock.fireNext();
    }
    await settle();
  }
  return { clock, ticks, schedule, ac, until };
}

describe("PullSchedule", () => {
  it("bootstraps at once without a valid current, then waits the startup delay, then the interval", async () => {
    const h = harness();
    const run = h.schedule.run({ signal: h.ac.signal });
    await h.until(4);
    expect(h.ticks).toEqual([0, 30_000, 30_000 + 24 * H, 30_000 + 48 * H]);
    h.ac.abort();
    await run;
  });

  it("skips the bootstrap when current is valid, or when bootstrap is false", async () => {
    for (const variant of [{ valid: true, bootstrap: true }, { valid: false, bootstrap: false }]) {
      const h = harness({ valid: variant.valid });
      const run = h.schedule.run({ signal: h.ac.signal, bootstrap: variant.bootstrap });
      await h.until(2);
      expect(h.ticks).toEqual([30_000, 30_000 + 24 * H]);
      h.ac.abort();
      await run;
    }
  });

  it("applies the jitter within ±10 % of the interval", async () => {
    for (const [r, expected] of [[0, 21.6 * H], [0.999999, 26.4 * H]] as const) {
      const h = harness({ valid: true, random: () => r });
      const run = h.schedule.run({ signal: h.ac.signal });
      await h.until(2);
      expect(Math.abs(h.ticks[1]! - h.ticks[0]! - expected)).toBeLessThan(1000);
      h.ac.abort();
      await run;
    }
  });

  it("retries failures at 1 min doubling up to the interval, and resets after a success", async () => {
    const h = harness({ valid: true, outcomes: (n) => (n <= 13 ? fail : ok) });
    const run = h.schedule.run({ signal: h.ac.signal });
    await h.until(16);
    const gaps = h.ticks.slice(1).map((t, i) => t - h.ticks[i]!);
    const expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].map((m) => Math.min(24 * H, m * FAILURE_RETRY_MS));
    expect(gaps.slice(0, 11)).toEqual(expected);
    expect(gaps[11]).toBe(24 * H); // capped
    expect(gaps[13]).toBe(24 * H); // after the success at tick 14: normal interval
    h.ac.abort();
    await run;
  });

  it("runs ten days of schedule in milliseconds", async () => {
    const h = harness({ valid: true });
    const run = h.schedule.run({ signal: h.ac.signal });
    await h.until(11);
    expect(h.ticks.at(-1)).toBe(30_000 + 10 * 24 * H);
    h.ac.abort();
    await run;
  });

  it("pullNow wakes the sleeping loop and returns that tick's outcome", async () => {
    const installed: PullOutcome = { outcome: "installed", bundle_id: "b2", schema_version: "1.0.0" };
    const h = harness({ valid: true, outcomes: (n) => (n === 2 ? installed : ok) });
    const seen: PullOutcome[] = [];
    const run = h.schedule.run({ signal: h.ac.signal, onOutcome: (o) => seen.push(o) });
    await h.until(1);
    expect(h.ticks).toEqual([30_000]);
    h.clock.t = 31_000;
    const o = await h.schedule.pullNow();
    expect(o).toEqual(installed);
    expect(h.ticks).toEqual([30_000, 31_000]);
    expect(seen).toEqual([ok, installed]);
    h.ac.abort();
    await run;
  });

  it("pullNow without a running loop runs one tick", async () => {
    const h = harness();
    expect(await h.schedule.pullNow()).toEqual(ok);
    expect(h.ticks).toHaveLength(1);
  });

  it("stops when aborted and answers pending pullNow callers", async () => {
    const h = harness({ valid: true });
    let release: (o: PullOutcome) => void = () => {};
    const slow = new PullSchedule({
      tick: () => new Promise<PullOutcome>((r) => (release = r)),
      hasValidCurrent: async () => false,
      clock: h.clock,
      random: () => 0.5,
      startupDelayMs: 1,
      intervalMs: 10,
      jitter: 0,
    });
    const ac = new AbortController();
    const run = slow.run({ signal: ac.signal });
    await settle();
    const inflight = slow.pullNow();
    ac.abort();
    release(ok);
    expect(await inflight).toEqual(ok);
    await run;
    expect(h.clock.pending).toBe(0);
  });

  it("a throwing tick counts as a failure and does not stop the loop", async () => {
    const clock = new FakeClock();
    let n = 0;
    const s = new PullSchedule({
      tick: async () => {
        n++;
        throw new Error("boom");
      },
      hasValidCurrent: async () => true,
      clock,
      random: () => 0.5,
      startupDelayMs: 5,
      intervalMs: 24 * H,
      jitter: 0.1,
    });
    const seen: PullOutcome[] = [];
    const ac = new AbortController();
    const run = s.run({ signal: ac.signal, onOutcome: (o) => seen.push(o) });
    for (let i = 0; i < 20 && n < 3; i++) {
      await settle();
      clock.fireNext();
    }
    await settle();
    expect(n).toBeGreaterThanOrEqual(3);
    expect(seen[0]).toMatchObject({ outcome: "failed", reason: "io" });
    ac.abort();
    await run;
  });
});

describe("PullSchedule.nextDelay (properties)", () => {
  it("success delays stay within interval ± jitter; failure delays double from 1 min and never pass the interval", async () => {
    const fc = await import("fast-check");
    fc.assert(
      fc.property(
        fc.integer({ min: 60_000, max: 7 * 24 * H }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (intervalMs, jitter, r, failures) => {
          const s = new PullSchedule({
            tick: async () => ok,
            hasValidCurrent: async () => true,
            clock: new FakeClock(),
            random: () => r,
            startupDelayMs: 0,
            intervalMs,
            jitter,
          });
          const d = s.nextDelay(ok, 0);
          expect(d).toBeGreaterThanOrEqual(Math.floor(intervalMs * (1 - jitter)));
          expect(d).toBeLessThanOrEqual(Math.ceil(intervalMs * (1 + jitter)));
          const f = s.nextDelay(fail, failures);
          expect(f).toBe(Math.min(intervalMs, FAILURE_RETRY_MS * 2 ** Math.min(30, failures - 1)));
          expect(s.nextDelay(fail, failures + 1)).toBeGreaterThanOrEqual(f);
          expect(s.nextDelay({ outcome: "busy" }, failures)).toBe(Math.min(intervalMs, FAILURE_RETRY_MS));
        },
      ),
    );
  });
});
