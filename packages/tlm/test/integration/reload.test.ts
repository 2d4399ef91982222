import { afterEach, describe, expect, it } from "vitest";
import { rm, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Agent } from "node:http";
import { Health, ResponseEnvelope } from "@recall/protocol";
import { generateCorpus } from "../../dist/index.js";
import { activate, call, exampleRecords, installBundle, query, spawnTlm, stopChild, tempDir, waitHealthy, type TlmChild } from "./harness";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(pollInterval = "0") {
  const dir = await tempDir();
  const root = join(dir, "root");
  const sock = join(dir, "s.sock");
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let tlm: TlmChild | undefined;
  cleanups.push(async () => { agent.destroy(); await stopChild(tlm); await rm(dir, { recursive: true, force: true }); });
  const start = async () => {
    tlm = spawnTlm(["serve", "--socket", sock, "--bundle-root", root, "--poll-interval", pollInterval]);
    return Health.parse(await waitHealthy(tlm, sock));
  };
  await mkdir(root, { recursive: true });
  return { dir, root, sock, agent, start, child: () => tlm! };
}

const health = async (sock: string) => Health.parse((await call(sock, "GET", "/health")).json());

describe("tlm serve: bundle states", () => {
  it("without current: unknown, and queries get 503 no_bundle", async () => {
    const s = await setup();
    const h = await s.start();
    expect(h).toMatchObject({ ready: false, compatibility: "unknown", bundle_id: null });
    const a = await query(s.sock, { text: "billing" });
    expect(a.status).toBe(503);
    expect(a.json().error.code).toBe("no_bundle");
  });

  it("a bundle without manifest: incompatible / no_manifest, queries 503 incompatible_bundle", async () => {
    const s = await setup();
    await mkdir(join(s.root, "bundles", "b1"), { recursive: true });
    await activate(s.root, "b1");
    const h = await s.start();
    expect(h).toMatchObject({ ready: false, compatibility: "incompatible", error: { sub_code: "no_manifest" } });
    const a = await query(s.sock, { text: "billing" });
    expect(a.status).toBe(503);
    expect(a.json().error).toMatchObject({ code: "incompatible_bundle", sub_code: "no_manifest" });
  });

  it("a schema outside ^1.0.0: incompatible / version_out_of_range", async () => {
    const s = await setup();
    await installBundle(s.root, "b2", await exampleRecords(), { schemaVersion: "2.0.0" });
    const h = await s.start();
    expect(h).toMatchObject({ compatibility: "incompatible", schema_version: "2.0.0", bundle_id: "b2", error: { sub_code: "version_out_of_range" } });
  });

  it("a corrupt memories.db: incompatible / corrupt", async () => {
    const s = await setup();
    const d = await installBundle(s.root, "b1", await exampleRecords());
    await writeFile(join(d, "memories.db"), Buffer.alloc(8192, 0x5a));
    const h = await s.start();
    expect(h).toMatchObject({ compatibility: "incompatible", error: { sub_code: "corrupt" } });
  });
});

describe("tlm serve: reload", () => {
  it("swaps under 200 concurrent queries with zero failures", async () => {
    const s = await setup();
    const records = await exampleRecords();
    await installBundle(s.root, "b1", records);
    await installBundle(s.root, "b2", records, { activate: false });
    await s.start();
    const seen = new Set<string>();
    const queries = Array.from({ length: 200 }, async (_, i) => {
      const a = await query(s.sock, { text: i % 2 ? "postgres replica lag" : "search latency redis cache", limit: 5 }, s.agent);
      expect(a.status).toBe(200);
      const env = ResponseEnvelope.parse(a.json());
      expect(env.results.length).toBe(5);
      seen.add(env.bundle_id!);
    });
    const reloads = (async () => {
      for (const id of ["b2", "b1", "b2"]) {
        await activate(s.root, id);
        const r = await call(s.sock, "POST", "/bundle/reload", "", s.agent);
        expect([200, 409]).toContain(r.status);
      }
    })();
    await Promise.all([...queries, reloads]);
    const final = await call(s.sock, "POST", "/bundle/reload", "");
    expect(final.status).toBe(200);
    expect((await health(s.sock)).bundle_id).toBe("b2");
    expect([...seen].every((b) => b === "b1" || b === "b2")).toBe(true);
  });

  it("answers changed:false when current did not move, changed:true when it did", async () => {
    const s = await setup();
    const records = await exampleRecords();
    await installBundle(s.root, "b1", records);
    await installBundle(s.root, "b2", records, { activate: false });
    await s.start();
    const same = await call(s.sock, "POST", "/bundle/reload");
    expect(same.status).toBe(200);
    expect(same.json()).toEqual({ bundle_id: "b1", changed: false });
    await activate(s.root, "b2");
    const moved = await call(s.sock, "POST", "/bundle/reload");
    expect(moved.json()).toEqual({ bundle_id: "b2", changed: true });
    const q = ResponseEnvelope.parse((await query(s.sock, { text: "kafka" })).json());
    expect(q.bundle_id).toBe("b2");
  });

  it("a concurrent reload gets 409 reload_in_progress", async () => {
    const s = await setup();
    const records = [...generateCorpus(2000, 7)];
    await installBundle(s.root, "b1", records);
    await installBundle(s.root, "b2", records, { activate: false });
    await s.start();
    const statuses: number[] = [];
    let target = "b1";
    for (let attempt = 0; attempt < 40 && !statuses.includes(409); attempt++) {
      target = target === "b1" ? "b2" : "b1";
      await activate(s.root, target);
      const pair = await Promise.all([
        call(s.sock, "POST", "/bundle/reload", "", s.agent),
        call(s.sock, "POST", "/bundle/reload", "", s.agent),
      ]);
      for (const r of pair) {
        statuses.push(r.status);
        if (r.status === 409) expect(r.json().error.code).toBe("reload_in_progress");
      }
    }
    expect(statuses).toContain(409);
    expect(statuses.every((x) => x === 200 || x === 409)).toBe(true);
    expect((await health(s.sock)).ready).toBe(true);
  });

  it("an incompatible new bundle gets 422 and the old one keeps serving", async () => {
    const s = await setup();
    const records = await exampleRecords();
    await installBundle(s.root, "b1", records);
    await installBundle(s.root, "b2", records, { schemaVersion: "2.1.0", activate: false });
    const corrupt = await installBundle(s.root, "b3", records, { activate: false });
    await writeFile(join(corrupt, "memories.db"), "this is not sqlite");
    await s.start();
    await activate(s.root, "b2");
    const r = await call(s.sock, "POST", "/bundle/reload");
    expect(r.status).toBe(422);
    expect(r.json().error).toMatchObject({ code: "incompatible_bundle", sub_code: "version_out_of_range" });
    await activate(s.root, "b3");
    const r3 = await call(s.sock, "POST", "/bundle/reload");
    expect(r3.status).toBe(422);
    expect(r3.json().error.sub_code).toBe("corrupt");
    expect(await health(s.sock)).toMatchObject({ ready: true, bundle_id: "b1" });
    const q = await query(s.sock, { text: "kafka partitions" });
    expect(q.status).toBe(200);
    expect(q.json().bundle_id).toBe("b1");
  });

  it("removing current drops to unknown", async () => {
    const s = await setup();
    await installBundle(s.root, "b1", await exampleRecords());
    await s.start();
    await rm(join(s.root, "current"));
    const r = await call(s.sock, "POST", "/bundle/reload");
    expect(r.json()).toEqual({ bundle_id: null, changed: true });
    expect((await health(s.sock)).compatibility).toBe("unknown");
  });

  it("the poll of current reloads by itself", async () => {
    const s = await setup("100ms");
    const records = await exampleRecords();
    await s.start();
    await installBundle(s.root, "b1", records);
    await expect.poll(async () => (await health(s.sock)).bundle_id, { timeout: 20_000, interval: 25, message: "poll to load b1" }).toBe("b1");
    await installBundle(s.root, "b2", records);
    await expect.poll(async () => (await health(s.sock)).bundle_id, { timeout: 20_000, interval: 25, message: "poll to load b2" }).toBe("b2");
    const q = await query(s.sock, { text: "redis" });
    expect(q.json().bundle_id).toBe("b2");
    const m = await call(s.sock, "GET", "/metrics");
    expect(m.text).toMatch(/^tlm_reloads_total\{outcome="changed"\} 2$/m);
  });
});
