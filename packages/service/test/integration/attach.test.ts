import { join } from "node:path";
import { installLocal } from "@recall/puller";
import { startBundleEndpoint } from "@recall/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { Service } from "../../src/index";
import {
  API_KEY,
  buildPublishDir,
  isAlive,
  queryWithin,
  recorder,
  startTlm,
  testOptions,
  workDir,
} from "./helpers";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const intent = { text: "Kafka partitions" };

async function setup() {
  const w = await workDir();
  cleanups.push(w.cleanup);
  const pub = join(w.dir, "pub");
  await buildPublishDir(pub, { bundleId: "20261126T080000Z" });
  expect(await installLocal(pub, { bundleRoot: w.bundleRoot })).toMatchObject({ outcome: "installed" });
  return w;
}

describe("attach mode", () => {
  it("ready exactly while the external sidecar is; never spawns nor kills it", async () => {
    const w = await setup();
    const tlm = startTlm(w);
    cleanups.push(tlm.stop);
    const rec = recorder();
    // a tlm_path that cannot exist proves attach mode never looks for a binary
    const svc = new Service(testOptions(w, { mode: "attach", tlmPath: "/nonexistent/tlm" }), {
      audit: rec.audit,
      logger: rec.logger,
    });
    cleanups.push(() => svc.stop());
    await svc.start();
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready" }).toBe("ready");
    expect(svc.snapshot().sidecar.pid).toBe(tlm.child.pid);
    const q = await queryWithin(svc.query(intent));
    expect(q.class).toBe("ok");
    expect(q.envelope?.results.length).toBeGreaterThan(0);

    // The sidecar dies: the next query is unavailable and flips the status.
    await tlm.stop();
    expect((await queryWithin(svc.query(intent))).class).toBe("unavailable");
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "unavailable after the sidecar died" }).toBe("unavailable");
    expect(svc.snapshot().reason).toBe("sidecar_unreachable");
    expect((await queryWithin(svc.query(intent))).class).toBe("unavailable");

    // A new one appears: the 2 s (here 100 ms) probe finds it.
    const tlm2 = startTlm(w);
    cleanups.push(tlm2.stop);
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready again" }).toBe("ready");
    expect(svc.snapshot().sidecar.pid).toBe(tlm2.child.pid);
    await svc.stop();
    expect(isAlive(tlm2.child.pid!)).toBe(true);
    expect(rec.events).toEqual([]);
  });

  it("starts before the sidecar exists and becomes ready when it appears", async () => {
    const w = await setup();
    const svc = new Service(testOptions(w, { mode: "attach" }));
    cleanups.push(() => svc.stop());
    await svc.start();
    await expect.poll(() => svc.snapshot().reason, { timeout: 20_000, interval: 10, message: "unreachable" }).toBe("sidecar_unreachable");
    expect((await queryWithin(svc.query(intent))).class).toBe("unavailable");
    const tlm = startTlm(w);
    cleanups.push(tlm.stop);
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready once the sidecar appears" }).toBe("ready");
    expect((await queryWithin(svc.query(intent))).class).toBe("ok");
  });

  it("cloud + attach: pulls into the shared bundle root and the attached sidecar serves it", async () => {
    const w = await workDir();
    cleanups.push(w.cleanup);
    const pub = join(w.dir, "pub");
    await buildPublishDir(pub, { bundleId: "20261126T080000Z" });
    const ep = await startBundleEndpoint({ dir: pub, apiKey: API_KEY });
    cleanups.push(ep.close);
    const tlm = startTlm(w);
    cleanups.push(tlm.stop);
    const rec = recorder();
    const base = testOptions(w);
    const svc = new Service(
      testOptions(w, { mode: "attach", provider: "cloud", puller: { ...base.puller, endpoint: ep.url, apiKey: API_KEY } }),
      { audit: rec.audit, logger: rec.logger },
    );
    cleanups.push(() => svc.stop());
    await svc.start();
    expect(rec.names()).toContain("memory_bootstrap_pull_ok");
    await expect.poll(() => svc.status, { timeout: 20_000, interval: 10, message: "ready on the pulled bundle" }).toBe("ready");
    const q = await queryWithin(svc.query(intent));
    expect(q.envelope?.bundle_id).toBe("20261126T080000Z");
    expect(JSON.stringify([rec.events, rec.lines, svc.snapshot()])).not.toContain(API_KEY);
  });
});
