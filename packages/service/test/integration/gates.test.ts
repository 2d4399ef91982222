import { afterEach, describe, expect, it } from "vitest";
import { Service } from "../../src/index";
import { API_KEY, queryWithin, recorder, testOptions, workDir } from "./helpers";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gate(over: Parameters<typeof testOptions>[1]) {
  const w = await workDir();
  cleanups.push(w.cleanup);
  const rec = recorder();
  const svc = new Service(testOptions(w, over), { audit: rec.audit, logger: rec.logger });
  cleanups.push(() => svc.stop());
  await svc.start();
  return { svc, rec, w };
}

describe("start gates", () => {
  it("disabled", async () => {
    const { svc, rec } = await gate({ provider: "disabled" });
    expect(svc.snapshot()).toMatchObject({ status: "disabled", reason: "provider_disabled", sidecar: { pid: null } });
    expect(rec.events).toEqual([]);
    expect((await queryWithin(svc.query({ text: "x" }))).class).toBe("unavailable");
    expect(await svc.pullNow()).toEqual({ outcome: "disabled", reason: "provider_disabled" });
  });

  it("spawn mode with a tlm_path that does not exist → binary_missing", async () => {
    const { svc, rec, w } = await gate({ tlmPath: "/nonexistent/bin/tlm" });
    expect(svc.snapshot()).toMatchObject({ status: "unavailable", reason: "binary_missing" });
    expect(rec.events).toEqual([{ event: "memory_tlm_missing", fields: { tlm_path_set: true } }]);
    expect((await queryWithin(svc.query({ text: "x" }))).class).toBe("unavailable");
    expect(svc.snapshot().sidecar.pid).toBeNull();
    expect(w.socketPath).toBeTruthy();
  });

  it("cloud without an endpoint → cloud_misconfigured, the key never echoed", async () => {
    const base = testOptions({ socketPath: "/x", bundleRoot: "/y" });
    const { svc, rec } = await gate({ provider: "cloud", puller: { ...base.puller, endpoint: "", apiKey: API_KEY } });
    expect(svc.snapshot()).toMatchObject({ status: "unavailable", reason: "cloud_misconfigured" });
    expect(rec.events).toEqual([
      { event: "memory_cloud_misconfigured", fields: { endpoint_resolved: false, api_key_present: true } },
    ]);
    expect(JSON.stringify([rec.events, rec.lines, svc.snapshot()])).not.toContain(API_KEY);
    expect(await svc.pullNow()).toEqual({ outcome: "disabled", reason: "cloud_misconfigured" });
  });

  it("cloud without a key → cloud_misconfigured", async () => {
    const base = testOptions({ socketPath: "/x", bundleRoot: "/y" });
    const { svc, rec } = await gate({
      provider: "cloud",
      puller: { ...base.puller, endpoint: "http://127.0.0.1:9", apiKey: "" },
    });
    expect(svc.snapshot().reason).toBe("cloud_misconfigured");
    expect(rec.events[0]?.fields).toEqual({ endpoint_resolved: true, api_key_present: false });
  });
});
