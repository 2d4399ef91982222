import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Service, type StatusSnapshot } from "../../src/index";
import { EXIT_AT_ONCE, queriesInEveryState, queryWithin, recorder, testOptions, waitFor, workDir } from "./helpers";

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
    await waitFor(() => svc.status === "degraded", "degraded");
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
});
