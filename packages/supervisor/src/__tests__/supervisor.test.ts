import { describe, expect, it, vi } from "vitest";
import { Supervisor, SupervisorError, type DegradedReason, type SupervisorOptions } from "../index";
import { FakeClock } from "./fake-clock";
import { FakeSpawner, type ChildScript } from "./fake-spawner";

const STABLE = 300_000;
const base = (clock: FakeClock, extra: SupervisorOptions = {}): SupervisorOptions => ({
  maxAttempts: 5,
  readyTimeoutMs: 10_000,
  backoff: { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0 },
  stableAfterMs: STABLE,
  shutdownGraceMs: 2000,
  clock,
  ...extra,
});
const backoffs = (clock: FakeClock) => clock.sleeps.filter((ms) => ms !== STABLE);
const crashAtStart: ChildScript = { readyAfterMs: 5, ready: { ok: false, reason: "exited", exit: { code: 1, signal: null } } };

function setup(scripts: ChildScript[], extra: SupervisorOptions = {}) {
  const clock = new FakeClock();
  const spawner = new FakeSpawner(clock, scripts);
  const degraded: [DegradedReason, number, Record<string, unknown>][] = [];
  const sup = new Supervisor(spawner, {
    ...base(clock, extra),
    onDegraded: (r, a, d) => {
      degraded.push([r, a, d]);
      return extra.onDegraded?.(r, a, d);
    },
  });
  return { clock, spawner, sup, degraded };
}

/** Every spawn after the first is preceded by a shutdown of the previous child. */
function expectShutdownBeforeEachRespawn(spawner: FakeSpawner) {
  for (let i = 1; i < spawner.events.length; i++) {
    const e = spawner.events[i]!;
    if (e.type !== "spawn" || e.child === 1) continue;
    const prev = spawner.events.slice(0, i).filter((x) => x.child === e.child - 1);
    expect(prev.some((x) => x.type === "shutdown")).toBe(true);
  }
}

describe("Supervisor restart schedule", () => {
  it("treats a failed first start as a crash and backs off 1, 2, 4, 8 s before giving up as repeated_crash", async () => {
    const { clock, spawner, sup, degraded } = setup([crashAtStart]);
    const outcome = await clock.run(sup.run(new AbortController().signal));
    expect(outcome).toBe("degraded");
    expect(backoffs(clock)).toEqual([1000, 2000, 4000, 8000]);
    expect(spawner.spawns()).toBe(5);
    expect(degraded).toHaveLength(1);
    expect(degraded[0]![0]).toBe("repeated_crash");
    expect(degraded[0]![1]).toBe(5);
    expect(degraded[0]![2]).toMatchObject({ exit: { code: 1, signal: null } });
    expect(sup.snapshot()).toMatchObject({ state: "degraded", attempts: 5, restarts: 4, lastReason: "repeated_crash" });
    expect(spawner.alive).toBe(false);
    expectShutdownBeforeEachRespawn(spawner);
    // spawn times follow the schedule: 5 ms to fail, then the backoff
    expect(spawner.events.filter((e) => e.type === "spawn").map((e) => e.t)).toEqual([0, 1005, 3010, 7015, 15020]);
  });

  it("caps the backoff at maxMs", async () => {
    const { clock, sup } = setup([crashAtStart], { maxAttempts: 8, backoff: { initialMs: 1000, maxMs: 5000, factor: 2, jitter: 0 } });
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    expect(backoffs(clock)).toEqual([1000, 2000, 4000, 5000, 5000, 5000, 5000]);
  });

  it("applies jitter from the injected random source", async () => {
    const rolls = [0, 0.5, 0.999999, 0.25];
    let i = 0;
    const { clock, sup } = setup([crashAtStart], {
      backoff: { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2 },
      random: () => rolls[i++ % rolls.length]!,
    });
    await clock.run(sup.run(new AbortController().signal));
    expect(backoffs(clock)).toEqual([800, 2000, 4800, 7200]);
  });

  it("resets the attempt counter after stableAfterMs of continuous readiness", async () => {
    const shortLived: ChildScript = { readyAfterMs: 10, exitAfterMs: 10_000 };
    const { clock, spawner, sup } = setup([
      shortLived,
      shortLived,
      shortLived,
      { readyAfterMs: 10, exitAfterMs: STABLE + 1 },
      shortLived,
      { readyAfterMs: 10 }, // stays up
    ]);
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => spawner.child === 6 && sup.snapshot().state === "ready");
    expect(backoffs(clock)).toEqual([1000, 2000, 4000, 1000, 2000]);
    expect(sup.snapshot()).toMatchObject({ attempts: 2, restarts: 5, lastReason: "repeated_crash" });
    ac.abort();
    expect(await clock.run(run)).toBe("stopped");
  });

  it("does not reset the counter when the child dies just before stableAfterMs", async () => {
    const { clock, sup } = setup([{ readyAfterMs: 0, exitAfterMs: STABLE - 1 }]);
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    expect(backoffs(clock)).toEqual([1000, 2000, 4000, 8000]);
    expect(sup.snapshot().attempts).toBe(5);
  });

  it("reports readySince while ready and nextRestartAt while backing off", async () => {
    const { clock, spawner, sup } = setup([{ readyAfterMs: 7, exitAfterMs: 100 }]);
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => sup.snapshot().state === "ready");
    expect(sup.snapshot()).toMatchObject({ state: "ready", readySince: 7, nextRestartAt: null });
    await clock.runUntil(() => sup.snapshot().state === "backoff");
    expect(sup.snapshot()).toMatchObject({
      state: "backoff",
      readySince: null,
      nextRestartAt: 107 + 1000,
      lastExit: { code: null, signal: "SIGKILL" },
    });
    expect(spawner.alive).toBe(false);
    ac.abort();
    await clock.run(run);
  });

  it.each<[string, ChildScript, DegradedReason]>([
    ["startup_timeout", { ready: { ok: false, reason: "timeout", detail: { last_health: null } } }, "startup_timeout"],
    ["health_failed", { ready: { ok: false, reason: "health_failed" } }, "health_failed"],
    ["exec_error", { spawnThrows: "exec_error" }, "exec_error"],
    ["a spawn error without reason", { spawnThrows: null }, "exec_error"],
    ["socket_in_use", { spawnThrows: "socket_in_use" }, "socket_in_use"],
    ["waitReady throwing", { ready: undefined, readyHangs: false, readyAfterMs: -1 }, "health_failed"],
  ])("gives up after maxAttempts with the reason of %s", async (_name, script, reason) => {
    const clock = new FakeClock();
    const spawner = new FakeSpawner(clock, [script]);
    if (script.readyAfterMs === -1) spawner.waitReady = async () => Promise.reject(new Error("boom"));
    let got: [string, number] | null = null;
    const sup = new Supervisor(spawner, { ...base(clock), maxAttempts: 3, onDegraded: (r, a) => void (got = [r, a]) });
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    expect(got).toEqual([reason, 3]);
    expect(spawner.spawns()).toBe(3);
    expect(backoffs(clock)).toEqual([1000, 2000]);
    expect(spawner.events.filter((e) => e.type === "shutdown").length).toBeGreaterThanOrEqual(3);
    expectShutdownBeforeEachRespawn(spawner);
  });

  it("passes readyTimeoutMs to waitReady and shutdownGraceMs to shutdown", async () => {
    const { clock, spawner, sup } = setup([crashAtStart], { maxAttempts: 1, readyTimeoutMs: 1234, shutdownGraceMs: 55 });
    await clock.run(sup.run(new AbortController().signal));
    expect(spawner.events).toContainEqual(expect.objectContaining({ type: "waitReady", ceilingMs: 1234 }));
    expect(spawner.events).toContainEqual(expect.objectContaining({ type: "shutdown", graceMs: 55 }));
  });

  it("ends degraded as binary_missing at once, without any retry", async () => {
    const { clock, spawner, sup, degraded } = setup([{ spawnThrows: "binary_missing" }]);
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    expect(spawner.spawns()).toBe(1);
    expect(backoffs(clock)).toEqual([]);
    expect(degraded.map((d) => d[0])).toEqual(["binary_missing"]);
    expect(degraded[0]![2]).toEqual({ message: "spawn failed: binary_missing" });
  });

  it("fires onExit for a crash while ready and while starting", async () => {
    const exits: [unknown, { wasReady: boolean; uptimeMs: number }][] = [];
    const { clock, sup } = setup([{ readyAfterMs: 0, exitAfterMs: 500, exit: { code: 3, signal: null } }, crashAtStart], {
      maxAttempts: 2,
      onExit: (e, info) => void exits.push([e, info]),
    });
    await clock.run(sup.run(new AbortController().signal));
    expect(exits).toEqual([
      [{ code: 3, signal: null }, expect.objectContaining({ wasReady: true, uptimeMs: 500 })],
      [{ code: 1, signal: null }, expect.objectContaining({ wasReady: false, uptimeMs: 0 })],
    ]);
  });
});

describe("Supervisor incompatible flow", () => {
  const incompatible: ChildScript = {
    readyAfterMs: 50,
    ready: { ok: false, reason: "incompatible", detail: { sub_code: "version_out_of_range" } },
  };

  it("awaits onIncompatible once, restarts without backoff, then ends binary_too_old without burning the budget", async () => {
    const clock = new FakeClock();
    const spawner = new FakeSpawner(clock, [incompatible]);
    const calls: number[] = [];
    const degraded: unknown[] = [];
    const sup = new Supervisor(spawner, {
      ...base(clock),
      onIncompatible: async () => {
        calls.push(clock.now());
        await clock.timer(5000); // e.g. a pull
      },
      onDegraded: (r, a, d) => void degraded.push([r, a, d]),
    });
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    expect(calls).toEqual([50]);
    expect(spawner.spawns()).toBe(2);
    // the second child is spawned once the hook has finished, and the first was shut down after the hook
    const spawn2 = spawner.events.find((e) => e.type === "spawn" && e.child === 2)!;
    expect(spawn2.t).toBe(5050);
    expect(spawner.events.find((e) => e.type === "shutdown" && e.child === 1)!.t).toBe(5050);
    expect(backoffs(clock)).toEqual([]);
    expect(degraded).toEqual([["binary_too_old", 0, { sub_code: "version_out_of_range" }]]);
    expect(sup.snapshot()).toMatchObject({ state: "degraded", attempts: 0, lastReason: "binary_too_old" });
    expect(spawner.alive).toBe(false);
  });

  it("carries on normally when the child is compatible after the hook", async () => {
    const { clock, spawner, sup } = setup([incompatible, { readyAfterMs: 10 }], { onIncompatible: () => undefined });
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => sup.snapshot().state === "ready");
    expect(spawner.spawns()).toBe(2);
    ac.abort();
    expect(await clock.run(run)).toBe("stopped");
  });

  it("still tries once more when onIncompatible throws", async () => {
    const { clock, spawner, sup, degraded } = setup([incompatible], {
      onIncompatible: () => {
        throw new Error("hook broke");
      },
    });
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    expect(spawner.spawns()).toBe(2);
    expect(degraded[0]![0]).toBe("binary_too_old");
  });

  it("fires the hook again for a new incompatible episode after a ready period", async () => {
    let hooks = 0;
    const { clock, spawner, sup } = setup(
      [incompatible, { readyAfterMs: 10, exitAfterMs: 100 }, incompatible, { readyAfterMs: 10 }],
      { onIncompatible: () => void hooks++ },
    );
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => spawner.child === 4 && sup.snapshot().state === "ready");
    expect(hooks).toBe(2);
    ac.abort();
    await clock.run(run);
  });
});

describe("Supervisor hooks and abort", () => {
  it("survives hooks that throw or reject", async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const { clock, spawner, sup } = setup([{ readyAfterMs: 1, exitAfterMs: 10 }], {
      maxAttempts: 3,
      logger,
      onReady: () => {
        throw new Error("ready hook");
      },
      onExit: async () => {
        throw new Error("exit hook");
      },
      onDegraded: () => Promise.reject(new Error("degraded hook")),
    });
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    await FakeClock.settle();
    expect(spawner.spawns()).toBe(3);
    const hookWarnings = logger.warn.mock.calls.filter((c) => (c[0] as { hook?: string }).hook).map((c) => (c[0] as { hook: string }).hook);
    expect(hookWarnings).toEqual(expect.arrayContaining(["onReady", "onExit", "onDegraded"]));
  });

  it("stops during a backoff sleep without another spawn", async () => {
    const { clock, spawner, sup } = setup([crashAtStart]);
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => sup.snapshot().state === "backoff");
    ac.abort();
    expect(await clock.run(run)).toBe("stopped");
    expect(spawner.spawns()).toBe(1);
    expect(sup.snapshot().state).toBe("stopped");
    expect(clock.pending).toBe(0);
  });

  it("stops during a waitReady that ignores the signal, and shuts the child down", async () => {
    const { clock, spawner, sup } = setup([{ readyHangs: true }]);
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => spawner.events.some((e) => e.type === "waitReady"));
    const t = clock.now();
    ac.abort();
    expect(await clock.run(run)).toBe("stopped");
    expect(clock.now()).toBe(t);
    expect(spawner.alive).toBe(false);
    expect(spawner.events.at(-1)).toMatchObject({ type: "shutdown", child: 1 });
  });

  it("stops while ready and shuts the child down", async () => {
    const { clock, spawner, sup } = setup([{ readyAfterMs: 1 }]);
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => sup.snapshot().state === "ready");
    ac.abort();
    expect(await clock.run(run)).toBe("stopped");
    expect(spawner.alive).toBe(false);
    expect(clock.pending).toBe(0); // the stability timer was cancelled
  });

  it("stops while onIncompatible is still running", async () => {
    const { clock, spawner, sup } = setup([{ ready: { ok: false, reason: "incompatible" } }], {
      onIncompatible: () => new Promise<void>(() => undefined),
    });
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => spawner.events.some((e) => e.type === "waitReady"));
    await FakeClock.settle();
    ac.abort();
    expect(await clock.run(run)).toBe("stopped");
    expect(spawner.spawns()).toBe(1);
    expect(spawner.alive).toBe(false);
  });

  it("lets a spawn in flight finish before shutting its child down on abort", async () => {
    const { clock, spawner, sup } = setup([{ spawnAfterMs: 100 }]);
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await clock.runUntil(() => spawner.events.length === 1);
    ac.abort();
    expect(await clock.run(run)).toBe("stopped");
    expect(spawner.events.map((e) => e.type)).toEqual(["spawn", "shutdown"]);
    expect(spawner.events[1]!.t).toBe(100);
    expect(spawner.alive).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it("never spawns with an already-aborted signal", async () => {
    const { clock, spawner, sup } = setup([{}]);
    expect(await clock.run(sup.run(AbortSignal.abort()))).toBe("stopped");
    expect(spawner.spawns()).toBe(0);
  });

  it("refuses a second concurrent run and allows a new run afterwards", async () => {
    const { clock, sup } = setup([crashAtStart], { maxAttempts: 1 });
    const first = sup.run(new AbortController().signal);
    await expect(sup.run(new AbortController().signal)).rejects.toMatchObject({ code: "SUPERVISOR_ALREADY_RUNNING" });
    expect(await clock.run(first)).toBe("degraded");
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    expect(sup.snapshot().attempts).toBe(1);
  });

  it("keeps the loop going when shutdown throws", async () => {
    const { clock, spawner, sup } = setup([crashAtStart], { maxAttempts: 2 });
    const orig = spawner.shutdown.bind(spawner);
    spawner.shutdown = async (g) => {
      await orig(g);
      throw new Error("shutdown broke");
    };
    expect(await clock.run(sup.run(new AbortController().signal))).toBe("degraded");
    expect(spawner.spawns()).toBe(2);
  });
});

describe("Supervisor with the real clock", () => {
  it("aborts a long backoff promptly", async () => {
    let spawns = 0;
    const sup = new Supervisor(
      {
        spawn: async () => void spawns++,
        waitReady: async () => ({ ok: false, reason: "exited", exit: { code: 1, signal: null } }),
        wait: async () => ({ code: 1, signal: null }),
        shutdown: async () => undefined,
      },
      { backoff: { initialMs: 600_000, jitter: 0 } },
    );
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    await vi.waitFor(() => expect(sup.snapshot().state).toBe("backoff"), { timeout: 10_000 });
    ac.abort();
    expect(await run).toBe("stopped"); // the 10-minute backoff did not hold it
    expect(spawns).toBe(1);
  });
});

describe("Supervisor options", () => {
  it.each<[string, SupervisorOptions]>([
    ["maxAttempts 0", { maxAttempts: 0 }],
    ["negative timeout", { readyTimeoutMs: -1 }],
    ["jitter > 1", { backoff: { jitter: 2 } }],
    ["factor < 1", { backoff: { factor: 0.5 } }],
    ["NaN initial", { backoff: { initialMs: Number.NaN } }],
  ])("rejects %s", (_n, opts) => {
    const spawner = new FakeSpawner(new FakeClock(), [{}]);
    expect(() => new Supervisor(spawner, opts)).toThrow(SupervisorError);
  });

  it("does not mutate the caller's options", () => {
    const opts = Object.freeze({ backoff: Object.freeze({ initialMs: 5 }) });
    const sup = new Supervisor(new FakeSpawner(new FakeClock(), [{}]), opts);
    expect(sup.snapshot().state).toBe("idle");
    expect(opts).toEqual({ backoff: { initialMs: 5 } });
  });
});
