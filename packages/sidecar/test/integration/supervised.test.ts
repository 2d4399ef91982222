import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { Supervisor, type DegradedReason, type Spawner, type SupervisorOptions } from "@recall/supervisor";
import { attachPolicy, Sidecar, type ExitInfo, type ReadyResult } from "@recall/sidecar";
import { existsSync, expectGroupDead, fixture, onCleanup, tempEnv, type Env } from "./helpers";

const TLM = fileURLToPath(new URL("../../../tlm/bin/tlm.js", import.meta.url));

/** Delegates to a Sidecar and records what the supervisor asked of it. */
class RecordingSpawner {
  readonly events: string[] = [];
  readonly pids: number[] = [];
  constructor(readonly sidecar: Sidecar) {}
  async spawn(signal: AbortSignal): Promise<void> {
    this.events.push("spawn");
    await this.sidecar.spawn(signal);
    this.pids.push(this.sidecar.pid!);
  }
  waitReady(signal: AbortSignal, ceilingMs: number): Promise<ReadyResult> {
    return this.sidecar.waitReady(signal, ceilingMs);
  }
  wait(): Promise<ExitInfo> {
    return this.sidecar.wait();
  }
  async shutdown(graceMs: number): Promise<void> {
    await this.sidecar.shutdown(graceMs);
    this.events.push("shutdown");
  }
}

function supervised(env: Env, binary: string, extraArgs: string[], opts: SupervisorOptions = {}) {
  const sidecar = new Sidecar({ socketPath: env.socketPath, bundleRoot: env.bundleRoot, binary, extraArgs });
  const structural: Spawner = sidecar; // compile-time check: a Sidecar is a Spawner without importing the supervisor
  const spawner = new RecordingSpawner(structural as Sidecar);
  const degraded: [DegradedReason, number, Record<string, unknown>][] = [];
  const sup = new Supervisor(spawner, {
    maxAttempts: 3,
    readyTimeoutMs: 20_000,
    backoff: { initialMs: 10, maxMs: 50, factor: 2, jitter: 0 },
    shutdownGraceMs: 1000,
    ...opts,
    onDegraded: (r, a, d) => {
      degraded.push([r, a, d]);
      opts.onDegraded?.(r, a, d);
    },
  });
  const ac = new AbortController();
  let run: Promise<string> | null = null;
  const start = () => (run = sup.run(ac.signal));
  onCleanup(async () => {
    ac.abort();
    await run;
    await sidecar.shutdown(100);
  });
  return { sidecar, spawner, sup, degraded, ac, start };
}

/** Every spawn after the first follows a shutdown of the previous child. */
function expectShutdownBetweenSpawns(events: string[]) {
  const spawns = events.map((e, i) => (e === "spawn" ? i : -1)).filter((i) => i >= 0);
  for (let k = 1; k < spawns.length; k++) expect(events.slice(spawns[k - 1]! + 1, spawns[k])).toContain("shutdown");
}

describe("Supervisor driving a real Sidecar", () => {
  it("ends a crash loop degraded as repeated_crash, each child shut down before the next", async () => {
    const env = tempEnv();
    const s = supervised(env, fixture("crash-at-start.mjs"), []);
    expect(await s.start()).toBe("degraded");
    expect(s.degraded).toHaveLength(1);
    expect(s.degraded[0]!.slice(0, 2)).toEqual(["repeated_crash", 3]);
    expect(s.degraded[0]![2]).toMatchObject({ exit: { code: 2, signal: null } });
    expect(s.spawner.pids).toHaveLength(3);
    expectShutdownBetweenSpawns(s.spawner.events);
    expect(s.spawner.events.at(-1)).toBe("shutdown");
    for (const pid of s.spawner.pids) await expectGroupDead(pid);
    expect(existsSync(env.socketPath)).toBe(false);
  });

  it("restarts a child that crashes after becoming ready, and stops cleanly on abort", async () => {
    const env = tempEnv();
    let readies = 0;
    const s = supervised(env, fixture("ready-then-crash.mjs"), ["--after-ms", "150"], {
      maxAttempts: 100,
      onReady: () => void readies++,
    });
    const run = s.start();
    await expect.poll(() => readies, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(3);
    s.ac.abort();
    expect(await run).toBe("stopped");
    expect(s.sup.snapshot()).toMatchObject({ state: "stopped", lastReason: "repeated_crash" });
    expect(s.sup.snapshot().restarts).toBeGreaterThanOrEqual(2);
    expectShutdownBetweenSpawns(s.spawner.events);
    for (const pid of s.spawner.pids) await expectGroupDead(pid);
    expect(existsSync(env.socketPath)).toBe(false);
  });

  it("calls onIncompatible once, tries once more, then ends binary_too_old", async () => {
    const env = tempEnv();
    let hooks = 0;
    const s = supervised(env, fixture("incompatible.mjs"), [], { readyTimeoutMs: 3000, onIncompatible: () => void hooks++ });
    expect(await s.start()).toBe("degraded");
    expect(hooks).toBe(1);
    expect(s.spawner.pids).toHaveLength(2);
    expect(s.degraded[0]!.slice(0, 2)).toEqual(["binary_too_old", 0]);
    expect(s.degraded[0]![2]).toMatchObject({ sub_code: "version_out_of_range" });
    for (const pid of s.spawner.pids) await expectGroupDead(pid);
    expect(existsSync(env.socketPath)).toBe(false);
  });

  it("ends degraded as socket_in_use when another sidecar owns the socket, and leaves it alone", async () => {
    const env = tempEnv();
    mkdirSync(join(env.dir, "run"), { mode: 0o700 });
    const foreign = createServer((_q, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ protocol: 1, ready: true, compatibility: "compatible", bundle_id: "f", schema_version: "1.0.0", supported_schema: "^1.0.0", pid: process.pid, uptime_s: 3 }));
    });
    await new Promise<void>((r) => foreign.listen(env.socketPath, r));
    onCleanup(() => new Promise((r) => foreign.close(r)));
    const s = supervised(env, fixture("ready.mjs"), [], { maxAttempts: 2 });
    expect(await s.start()).toBe("degraded");
    expect(s.degraded[0]!.slice(0, 2)).toEqual(["socket_in_use", 2]);
    expect(s.spawner.pids).toEqual([]);
    expect(await attachPolicy(env.socketPath)).toMatchObject({ ok: true, health: { bundle_id: "f" } });
  });

  it("ends degraded as binary_missing at once", async () => {
    const env = tempEnv();
    const s = supervised(env, join(env.dir, "no-tlm"), []);
    expect(await s.start()).toBe("degraded");
    expect(s.degraded.map((d) => d[0])).toEqual(["binary_missing"]);
    expect(s.spawner.events.filter((e) => e === "spawn")).toHaveLength(1);
  });
});

describe("Supervisor + Sidecar with the reference tlm", () => {
  it("spawns tlm, is ready with an empty bundle root, restarts it after SIGKILL, and stops it", async () => {
    expect(existsSync(TLM)).toBe(true);
    const env = tempEnv();
    const healths: unknown[] = [];
    const s = supervised(env, TLM, [], {
      onReady: (info) => void healths.push(info.detail?.health),
    });
    const run = s.start();
    await expect.poll(() => healths.length, { timeout: 30_000, interval: 20 }).toBe(1);
    expect(healths[0]).toMatchObject({ ready: false, compatibility: "unknown", bundle_id: null });
    const first = s.sidecar.pid!;
    process.kill(first, "SIGKILL");
    await expect.poll(() => healths.length, { timeout: 30_000, interval: 20 }).toBe(2);
    const second = s.sidecar.pid!;
    expect(second).not.toBe(first);
    expect(healths[1]).toMatchObject({ compatibility: "unknown", pid: second });
    expect(s.sup.snapshot()).toMatchObject({ state: "ready", restarts: 1, lastExit: { code: null, signal: "SIGKILL" } });
    await expectGroupDead(first);

    s.ac.abort();
    expect(await run).toBe("stopped");
    await expectGroupDead(second);
    expect(existsSync(env.socketPath)).toBe(false);
  });

  it("tlm exits by itself when its --parent-pid is gone (no orphan after a SIGKILLed daemon)", async () => {
    expect(existsSync(TLM)).toBe(true);
    const env = tempEnv();
    const fakeDaemon = execa("sleep", ["60"], { stdio: "ignore", cleanup: true, reject: false });
    onCleanup(() => fakeDaemon.kill("SIGKILL"));
    const sc = new Sidecar({ socketPath: env.socketPath, bundleRoot: env.bundleRoot, binary: TLM, parentPid: fakeDaemon.pid! });
    onCleanup(() => sc.shutdown(100));
    await sc.spawn();
    expect((await sc.waitReady(undefined, 30_000)).ok).toBe(true);
    const pid = sc.pid!;
    fakeDaemon.kill("SIGKILL");
    expect(await sc.wait()).toEqual({ code: 0, signal: null });
    await sc.shutdown(100);
    await expectGroupDead(pid);
    expect(existsSync(env.socketPath)).toBe(false);
  });
});
