import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Service, type StatusSnapshot } from "../../src/index";
import { EXIT_AT_ONCE, HANG, isAlive, queriesInEveryState, queryWithin, recorder, testOptions, workDir } from "./helpers";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("crash loop", () => {
  it("a sidecar that exits at once ends degraded/repeated_crash with an audit event", async () => {
    const w = await workDir();
    cleanups.push(w.cleanup);
    const rec = recorder();
    const statuses: StatusSnapshot[] = [];
    const probe = queriesInEveryState();
    const svc = new Service(testOptions(w, { tlmPath: EXIT_AT_ONCE, restartMax: 3 }), {
      audit: rec.audit,
      logger: rec.logger,
      hooks: {
        onStatus: (s) => {
          statuses.push(s);
          probe.onStatus(s);
        },
      },
    });
    probe.bind(svc);
    cleanups.push(() => svc.stop());
    await svc.start();
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "degraded" }).toBe("degraded");
    const snap = svc.snapshot();
    expect(snap.reason).toBe("repeated_crash");
    expect(snap.detail).toMatchObject({ attempts: 3, exit_code: 3 });
    const degraded = rec.events.filter((e) => e.event === "memory_sidecar_degraded");
    expect(degraded).toHaveLength(1);
    expect(degraded[0]!.fields).toMatchObject({ reason: "repeated_crash", attempts: 3, exit_code: 3 });
    expect(statuses.some((s) => s.status === "initializing" && s.detail.restarting === true)).toBe(true);
    const q = await queryWithin(svc.query({ text: "anything" }));
    expect(q).toMatchObject({ class: "unavailable", error: { code: "not_ready" } });
    await svc.stop();
    expect(existsSync(w.socketPath)).toBe(false);
    const states = (await probe.check()).map((r) => r.status);
    expect(states).toEqual(expect.arrayContaining(["initializing", "degraded"]));
  });

  it("a sidecar that never answers ends degraded/startup_timeout; every child is gone", async () => {
    const w = await workDir();
    cleanups.push(w.cleanup);
    const pidFile = join(w.dir, "pids");
    const rec = recorder();
    const statuses: StatusSnapshot[] = [];
    const svc = new Service(
      testOptions(w, {
        tlmPath: HANG,
        restartMax: 2,
        readyTimeoutMs: 1500,
        shutdownGraceMs: 500,
        sidecarEnv: { PATH: process.env.PATH, HANG_PID_FILE: pidFile },
      }),
      { audit: rec.audit, logger: rec.logger, hooks: { onStatus: (s) => statuses.push(s) } },
    );
    cleanups.push(() => svc.stop());
    await svc.start();
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "degraded" }).toBe("degraded");
    expect(svc.snapshot().reason).toBe("startup_timeout");
    expect(statuses.some((s) => s.detail.restarting === true && s.detail.last_failure === "startup_timeout")).toBe(true);
    expect(rec.events.filter((e) => e.event === "memory_sidecar_degraded")[0]?.fields).toMatchObject({
      reason: "startup_timeout",
      attempts: 2,
    });
    const pids = readFileSync(pidFile, "utf8").trim().split("\n").map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    await svc.stop();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});
