import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installLocal } from "@recall/puller";
import { afterEach, describe, expect, it } from "vitest";
import { Service, type StatusSnapshot } from "../../src/index";
import {
  buildPublishDir,
  isAlive,
  queriesInEveryState,
  queryWithin,
  recorder,
  testOptions,
  workDir,
} from "./helpers";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const w = await workDir();
  cleanups.push(w.cleanup);
  return w;
}

function track(svc: Service): Service {
  cleanups.push(() => svc.stop());
  return svc;
}

const intent = { text: "PostgreSQL billing migration" };

describe("local mode, spawn", () => {
  it("becomes ready, answers queries, survives a SIGKILL of its sidecar, stops cleanly", async () => {
    const w = await setup();
    const pub = join(w.dir, "pub");
    await buildPublishDir(pub, { bundleId: "20261126T080000Z" });
    expect(await installLocal(pub, { bundleRoot: w.bundleRoot })).toMatchObject({ outcome: "installed" });
    // leftovers of a pull interrupted by a crash
    mkdirSync(join(w.bundleRoot, "staging", "20261126T070000Z"), { recursive: true });
    writeFileSync(join(w.bundleRoot, "staging", "20261126T070000Z", "memories.db"), "partial");

    const rec = recorder();
    const statuses: StatusSnapshot[] = [];
    let restarts = 0;
    const queries: string[] = [];
    const probe = queriesInEveryState();
    const svc = track(
      new Service(testOptions(w, { version: "test" }), {
        audit: rec.audit,
        logger: rec.logger,
        hooks: {
          onStatus: (s) => {
            statuses.push(s);
            probe.onStatus(s);
          },
          onRestart: () => restarts++,
          onQuery: (c) => queries.push(c),
        },
      }),
    );
    probe.bind(svc);
    expect((await queryWithin(svc.query(intent))).class).toBe("unavailable");
    await svc.start();
    expect(existsSync(join(w.bundleRoot, "staging", "20261126T070000Z"))).toBe(false);
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready" }).toBe("ready");

    const q = await queryWithin(svc.query(intent));
    expect(q.class).toBe("ok");
    expect(q.envelope?.source).toBe("sidecar");
    expect(q.envelope?.bundle_id).toBe("20261126T080000Z");
    expect(q.envelope?.results.length).toBeGreaterThan(0);
    expect(q.envelope?.results.some((r) => r.id === "mem-001")).toBe(true);

    const snap = svc.snapshot();
    expect(snap).toMatchObject({
      version: "test",
      provider: "local",
      mode: "spawn",
      status: "ready",
      reason: null,
      bundle: { bundle_id: "20261126T080000Z", schema_version: "1.0.0" },
      sidecar: { restarts: 0 },
    });
    expect(typeof snap.sidecar.ready_since).toBe("string");
    const pid = snap.sidecar.pid!;
    expect(isAlive(pid)).toBe(true);

    // Crash: the supervisor restarts it; meanwhile queries are unavailable at once.
    process.kill(pid, "SIGKILL");
    await expect.poll(() => svc.status !== "ready" || svc.snapshot().sidecar.pid !== pid, { timeout: 20_000, interval: 10, message: "the crash to be noticed" }).toBe(true);
    await expect.poll(() => svc.status === "ready" && svc.snapshot().sidecar.pid !== pid, { timeout: 20_000, interval: 10, message: "ready again" }).toBe(true);
    expect(statuses.some((s) => s.status === "initializing" && s.detail.restarting === true)).toBe(true);
    expect(restarts).toBe(1);
    expect(svc.snapshot().sidecar.restarts).toBe(1);
    expect((await queryWithin(svc.query(intent))).class).toBe("ok");
    expect(queries).toContain("ok");

    // Bad input reaches the sidecar and comes back typed.
    const bad = await queryWithin(svc.query({ text: "" }));
    expect(bad.class).toBe("bad_request");

    const newPid = svc.snapshot().sidecar.pid!;
    await Promise.all([svc.stop(), svc.stop()]);
    expect(isAlive(newPid)).toBe(false);
    expect(existsSync(w.socketPath)).toBe(false);
    expect(svc.snapshot()).toMatchObject({ status: "unavailable", reason: "stopped" });
    expect((await queryWithin(svc.query(intent))).class).toBe("unavailable");
    expect(rec.names()).toEqual([]);
    const states = (await probe.check()).map((r) => `${r.status}/${r.cls}`);
    expect(states).toEqual(expect.arrayContaining(["initializing/unavailable", "ready/ok", "unavailable/unavailable"]));
  });

  it("no bundle: unavailable/no_bundle, then ready once a bundle is installed; pullNow reloads", async () => {
    const w = await setup();
    const svc = track(new Service(testOptions(w, { fallback: () => [] })));
    await svc.start();
    await expect.poll(() => svc.snapshot().reason, { timeout: 20_000, interval: 10, message: "no_bundle" }).toBe("no_bundle");
    expect(svc.status).toBe("unavailable");
    const fb = await queryWithin(svc.query(intent));
    expect(fb.class).toBe("unavailable");
    expect(fb.envelope).toMatchObject({ source: "fallback", evidence_quality: "text_search", fallback_reason: "no_bundle" });

    const pub = join(w.dir, "pub");
    await buildPublishDir(pub, { bundleId: "20261126T090000Z" });
    // installLocal posts /bundle/reload to the running sidecar
    expect(await installLocal(pub, { bundleRoot: w.bundleRoot, socketPath: w.socketPath })).toMatchObject({
      outcome: "installed",
    });
    const r = await svc.pullNow();
    expect(r).toMatchObject({ outcome: "reloaded", bundle_id: "20261126T090000Z" });
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready after install" }).toBe("ready");
    await expect.poll(() => svc.snapshot().bundle.bundle_id, { timeout: 20_000, interval: 10, message: "bundle info" }).toBe("20261126T090000Z");
    expect((await queryWithin(svc.query(intent))).class).toBe("ok");
  });
});
