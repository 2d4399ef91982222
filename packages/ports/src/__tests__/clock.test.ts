import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { realClock } from "../clock";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Spies on the global timer functions (calling through), so a test can see the timer `sleep` made and whether it was cleared. */
function timerSpies() {
  const set = vi.spyOn(globalThis, "setTimeout");
  const clear = vi.spyOn(globalThis, "clearTimeout");
  return { set, clear, timer: () => set.mock.results.at(-1)?.value as NodeJS.Timeout | undefined };
}

describe("realClock.now", () => {
  it("is wall-clock milliseconds (Date.now)", () => {
    const spy = vi.spyOn(Date, "now").mockReturnValue(1_764_000_000_000);
    expect(realClock.now()).toBe(1_764_000_000_000);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe("realClock.sleep", () => {
  it("resolves after the timer fires, and leaves no abort listener behind", async () => {
    const ac = new AbortController();
    const sleeping = realClock.sleep(5, ac.signal);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    await expect(sleeping).resolves.toBeUndefined();
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
    // Aborting after the sleep ended changes nothing (no late rejection).
    ac.abort(new Error("too late"));
    await expect(sleeping).resolves.toBeUndefined();
  });

  it("resolves without a signal, and a negative delay sleeps 0 ms", async () => {
    const { set } = timerSpies();
    await expect(realClock.sleep(-50)).resolves.toBeUndefined();
    expect(set).toHaveBeenCalledTimes(1);
    expect(set.mock.calls[0]![1]).toBe(0);
  });

  it("rejects at once with signal.reason when the signal is already aborted, without starting a timer or adding a listener", async () => {
    const { set } = timerSpies();
    const ac = new AbortController();
    const reason = new Error("stopped before");
    ac.abort(reason);
    await expect(realClock.sleep(60_000, ac.signal)).rejects.toBe(reason);
    expect(set).not.toHaveBeenCalled();
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("rejects with signal.reason when aborted while sleeping, clears its timer and removes its listener", async () => {
    const { clear, timer } = timerSpies();
    const ac = new AbortController();
    const sleeping = realClock.sleep(60_000, ac.signal);
    const handle = timer();
    expect(handle).toBeDefined();
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    const reason = { why: "any value is passed through as is" };
    ac.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(clear).toHaveBeenCalledWith(handle);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("rejects with the default AbortError reason when abort() is called without one", async () => {
    const ac = new AbortController();
    const sleeping = realClock.sleep(60_000, ac.signal);
    ac.abort();
    await expect(sleeping).rejects.toMatchObject({ name: "AbortError" });
    await expect(sleeping).rejects.toBe(ac.signal.reason);
  });

  it("many sleeps on one long-lived signal do not pile up listeners", async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) await realClock.sleep(0, ac.signal);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(realClock)).toBe(true);
  });
});
