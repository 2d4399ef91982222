import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startBundleEndpoint } from "@recall/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { Service, type PullOutcome, type StatusSnapshot } from "../../src/index";
import {
  API_KEY,
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

const intent = { text: "OpenSearch licence" };

async function cloudSetup(bundles: { id: string; schema?: string }[]) {
  const w = await workDir();
  cleanups.push(w.cleanup);
  const dirs: string[] = [];
  for (const b of bundles) {
    const d = join(w.dir, `pub-${b.id}`);
    await buildPublishDir(d, { bundleId: b.id, ...(b.schema ? { schemaVersion: b.schema } : {}) });
    dirs.push(d);
  }
  const ep = await startBundleEndpoint({ dir: dirs[0]!, apiKey: API_KEY });
  cleanups.push(ep.close);
  return { w, ep, dirs };
}

describe("cloud mode", () => {
  it("bootstrap pull, ready, scheduled pull, pullNow; the API key never leaks", async () => {
    const { w, ep, dirs } = await cloudSetup([
      { id: "20261126T080000Z" },
      { id: "20261126T090000Z" },
      { id: "20261126T100000Z" },
    ]);
    const rec = recorder();
    const statuses: StatusSnapshot[] = [];
    const pulls: { o: PullOutcome; bytes: number }[] = [];
    const probe = queriesInEveryState();
    const base = testOptions(w);
    const svc = new Service(
      testOptions(w, {
        provider: "cloud",
        puller: { ...base.puller, endpoint: ep.url, apiKey: API_KEY, startupDelayMs: 300 },
        sidecarEnv: { ...process.env, RECALL_MEMORY_API_KEY: API_KEY, UPSTREAM_TOKEN: API_KEY },
      }),
      {
        audit: rec.audit,
        logger: rec.logger,
        hooks: {
          onStatus: (s) => {
            statuses.push(s);
            probe.onStatus(s);
          },
          onPull: (o, m) => pulls.push({ o, bytes: m.bytes }),
        },
      },
    );
    probe.bind(svc);
    cleanups.push(() => svc.stop());
    await svc.start();
    // start() returns after the bootstrap pull
    expect(rec.names()).toContain("memory_bootstrap_pull_ok");
    expect(rec.events.find((e) => e.event === "memory_bootstrap_pull_ok")!.fields).toMatchObject({
      outcome: "installed",
      bundle_id: "20261126T080000Z",
    });
    expect(pulls[0]).toMatchObject({ o: { outcome: "installed" } });
    expect(pulls[0]!.bytes).toBeGreaterThan(0);
    // the schedule (started on first ready) picks this one up after its startup delay
    ep.serve(dirs[1]!);

    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready" }).toBe("ready");
    const pid = svc.snapshot().sidecar.pid!;
    const env = readFileSync(`/proc/${pid}/environ`, "utf8");
    expect(env).not.toContain(API_KEY);

    await expect.poll(() => svc.snapshot().bundle.bundle_id, { timeout: 20_000, interval: 10, message: "scheduled pull" }).toBe("20261126T090000Z");
    await expect.poll(async () => (await svc.query(intent)).envelope?.bundle_id, { timeout: 20_000, interval: 10, message: "reload" }).toBe("20261126T090000Z");

    // pullNow joins a pull still in flight (the puller's single flight): wait until the scheduled one has finished,
    // or this pullNow may resolve with its outcome (20261126T090000Z) instead of running a fresh one.
    await expect.poll(() => pulls.filter((p) => p.o.outcome === "installed").length, { timeout: 20_000, interval: 10, message: "scheduled pull done" }).toBe(2);
    ep.serve(dirs[2]!);
    const r = await svc.pullNow();
    expect(r).toMatchObject({ outcome: "installed", bundle_id: "20261126T100000Z" });
    const snap = svc.snapshot();
    expect(snap.bundle.bundle_id).toBe("20261126T100000Z");
    expect(snap.last_pull).toMatchObject({ outcome: "installed" });
    expect(typeof snap.last_pull.at).toBe("string");
    expect(pulls.filter((p) => p.o.outcome === "installed")).toHaveLength(3);
    const q = await queryWithin(svc.query(intent));
    expect(q.class).toBe("ok");
    expect(q.envelope?.bundle_id).toBe("20261126T100000Z");
    expect(rec.names()).toContain("memory_bundle_installed");

    await svc.stop();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(w.socketPath)).toBe(false);
    expect(ep.requests.every((x) => x.keyOk)).toBe(true);
    const everything = JSON.stringify([rec.events, rec.lines, statuses, svc.snapshot(), pulls]);
    expect(rec.lines.length).toBeGreaterThan(5);
    expect(everything).not.toContain(API_KEY);
    const states = (await probe.check()).map((r) => `${r.status}/${r.reason}`);
    expect(states).toEqual(expect.arrayContaining(["initializing/bootstrap_pull", "ready/null"]));
  });

  it("incompatible bundle → self-heal pull (nothing newer) → degraded binary_too_old → a new bundle recovers", async () => {
    const { w, ep, dirs } = await cloudSetup([
      { id: "20261126T080000Z", schema: "2.0.0" },
      { id: "20261126T090000Z" },
    ]);
    const rec = recorder();
    const base = testOptions(w);
    const svc = new Service(
      testOptions(w, {
        provider: "cloud",
        readyTimeoutMs: 3000,
        puller: { ...base.puller, endpoint: ep.url, apiKey: API_KEY, schemaRange: ">=1.0.0" },
      }),
      { audit: rec.audit, logger: rec.logger },
    );
    cleanups.push(() => svc.stop());
    await svc.start();
    expect(rec.names()).toContain("memory_bootstrap_pull_ok");
    await expect.poll(() => rec.names().includes("memory_self_heal_attempt"), { timeout: 20_000, interval: 10, message: "self-heal attempt" }).toBe(true);
    expect((await queryWithin(svc.query(intent))).class).toBe("unavailable");
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "degraded" }).toBe("degraded");
    expect(svc.snapshot().reason).toBe("binary_too_old");
    const names = rec.names();
    const i = names.indexOf("memory_self_heal_attempt");
    expect(names.slice(i)).toEqual(["memory_self_heal_attempt", "memory_self_heal_failed", "memory_sidecar_degraded"]);
    expect(rec.events.find((e) => e.event === "memory_self_heal_failed")!.fields).toEqual({ outcome: "unchanged" });
    expect(rec.events.find((e) => e.event === "memory_sidecar_degraded")!.fields).toMatchObject({
      reason: "binary_too_old",
      sub_code: "version_out_of_range",
    });
    const q = await queryWithin(svc.query(intent));
    expect(q.class).toBe("unavailable");

    // Publishing a bundle this sidecar can serve brings memory back without a daemon restart.
    ep.serve(dirs[1]!);
    expect(await svc.pullNow()).toMatchObject({ outcome: "installed", bundle_id: "20261126T090000Z" });
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready with the compatible bundle" }).toBe("ready");
    expect((await queryWithin(svc.query(intent))).envelope?.bundle_id).toBe("20261126T090000Z");
    expect(JSON.stringify([rec.events, rec.lines])).not.toContain(API_KEY);
  });

  it("incompatible bundle → self-heal installs a compatible one → ready", async () => {
    const { w, ep, dirs } = await cloudSetup([
      { id: "20261126T080000Z", schema: "2.0.0" },
      { id: "20261126T090000Z" },
    ]);
    const rec = recorder();
    const audit = {
      log(event: string, fields: Record<string, unknown>) {
        // what the endpoint has to offer changes exactly when the service asks for help
        if (event === "memory_self_heal_attempt") ep.serve(dirs[1]!);
        rec.audit.log(event, fields);
      },
    };
    const base = testOptions(w);
    const svc = new Service(
      testOptions(w, {
        provider: "cloud",
        readyTimeoutMs: 3000,
        puller: { ...base.puller, endpoint: ep.url, apiKey: API_KEY, schemaRange: ">=1.0.0" },
      }),
      { audit, logger: rec.logger },
    );
    cleanups.push(() => svc.stop());
    await svc.start();
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready after self-heal" }).toBe("ready");
    expect(rec.names()).toContain("memory_self_heal_ok");
    expect(svc.snapshot().bundle.bundle_id).toBe("20261126T090000Z");
    expect((await queryWithin(svc.query(intent))).class).toBe("ok");
  });
});
