import { lstat, mkdir, readFile, readdir, readlink, rm, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Puller, hasValidCurrent, readBundleState, recoverBundleRoot, tenantFingerprint, type PullOutcome, type PullerOptions, type PullProgress } from "../../src/index";
import {
  capture,
  currentTree,
  editManifest,
  hashTree,
  hostileTarball,
  keys,
  makeBundle,
  removeTree,
  startEndpoint,
  startFakeSidecar,
  tempDir,
  verifyCurrentWhole,
  withArchive,
  type Endpoint,
  type Published,
} from "../helpers";

const KEY = "sk-live-THE-SECRET-KEY-0f9e8d7c6b5a";
const KEY2 = "sk-live-OTHER-SECRET-KEY-1a2b3c4d5e";

let base: string;
let root: string;
/** The bundle root's parent: nothing but `root` may ever appear in it. */
let box: string;
let cap: ReturnType<typeof capture>;
let outcomes: PullOutcome[];
const closers: (() => Promise<void>)[] = [];

async function endpoint(...args: Parameters<typeof startEndpoint>): Promise<Endpoint> {
  const ep = await startEndpoint(...args);
  closers.push(() => ep.close());
  return ep;
}

function puller(ep: Endpoint, over: Partial<PullerOptions> = {}): Puller {
  const p = new Puller({
    endpoint: ep.url,
    apiKey: KEY,
    bundleRoot: root,
    audit: cap.audit,
    logger: cap.logger,
    ...over,
  });
  const tick = p.tick.bind(p);
  p.tick = async (o) => {
    const r = await tick(o);
    outcomes.push(r);
    return r;
  };
  return p;
}

async function state(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(root, "state.json"), "utf8"));
}

async function staging(): Promise<string[]> {
  return readdir(join(root, "staging")).catch(() => []);
}

beforeEach(async () => {
  base = await tempDir();
  box = join(base, "box");
  root = join(box, "root");
  cap = capture();
  outcomes = [];
});

afterEach(async () => {
  for (const c of closers.splice(0)) await c().catch(() => {});
  // the API key appears in no log line, audit event, outcome or file of the bundle root
  const everything = [...cap.lines, JSON.stringify(cap.events), JSON.stringify(outcomes)];
  try {
    for (const [p, v] of Object.entries(await hashTree(root))) {
      if (v.startsWith("file:") && !p.includes("bundles/")) everything.push(await readFile(join(root, p), "utf8"));
    }
  } catch {
    // no root
  }
  for (const s of everything) {
    expect(s).not.toContain(KEY);
    expect(s).not.toContain(KEY2);
  }
  await removeTree(base);
});

describe("Puller.tick against a real HTTP endpoint", () => {
  it("installs a bundle: lock, verify, extract, atomic swap, state, audit, progress", async () => {
    const b1 = await makeBundle(base, "20261126T080000Z");
    const ep = await endpoint(b1);
    const progress: PullProgress[] = [];
    const o = await puller(ep).tick({ onProgress: (p) => progress.push(p) });
    expect(o).toEqual({ outcome: "installed", bundle_id: "20261126T080000Z", schema_version: "1.0.0" });
    expect(await verifyCurrentWhole(root)).toBe("20261126T080000Z");
    expect(await readlink(join(root, "current"))).toBe("bundles/20261126T080000Z");
    expect((await stat(root)).mode & 0o777).toBe(0o700);
    const st = await state();
    expect(st.etag).toMatch(/^"/);
    expect(st.highest_bundle_id).toBe("20261126T080000Z");
    expect(st.installed).toMatchObject({ bundle_id: "20261126T080000Z" });
    expect((await readFile(join(root, ".tenant_fingerprint"), "utf8")).trim()).toBe(tenantFingerprint(KEY));
    expect(await staging()).toEqual([]);
    await expect(lstat(join(root, "bundle.lock"))).rejects.toThrow();
    expect(cap.events).toEqual([{ event: "memory_bundle_installed", fields: { bundle_id: "20261126T080000Z", schema_version: "1.0.0" } }]);
    expect(new Set(progress.map((p) => p.phase))).toEqual(new Set(["manifest", "download", "install"]));
    const last = progress.filter((p) => p.phase === "download").at(-1)!;
    expect(last.bytes).toBe(b1.archive.length);
    expect(last.total).toBe(b1.archive.length);
    expect(ep.requests.map((s) => s.headers["x-api-key"])).toEqual([KEY, KEY]);
    expect(await hasValidCurrent(root)).toBe(true);
    expect((await readBundleState(root)).current).toMatchObject({ bundle_id: "20261126T080000Z", schema_version: "1.0.0" });
  });

  it("304: sends the stored ETag and reports unchanged; a 304 without ETag keeps the old one", async () => {
    const ep = await endpoint(await makeBundle(base, "b1"));
    const p = puller(ep);
    expect((await p.tick()).outcome).toBe("installed");
    const etag = (await state()).etag;
    expect(await p.tick()).toEqual({ outcome: "unchanged" });
    expect(ep.requests.at(-1)!.headers["if-none-match"]).toBe(etag);
    ep.faults.sendEtag = false;
    expect(await p.tick()).toEqual({ outcome: "unchanged" });
    expect((await state()).etag).toBe(etag);
    expect((await state()).last_pull).toMatchObject({ outcome: "unchanged" });
    expect(await p.tick()).toEqual({ outcome: "unchanged" });
    expect(ep.requests.at(-1)!.headers["if-none-match"]).toBe(etag);
  });

  it("same bundle id with a new ETag is unchanged and nothing is downloaded", async () => {
    const b1 = await makeBundle(base, "b1");
    const ep = await endpoint(b1);
    const p = puller(ep);
    await p.tick();
    ep.serve({ ...b1, manifestBytes: Buffer.from(JSON.stringify(b1.manifest, null, 1)) });
    const before = ep.requests.length;
    expect(await p.tick()).toEqual({ outcome: "unchanged" });
    expect(ep.requests.length).toBe(before + 1);
  });

  it("404 is none (not an error); 401 and 403 fail as unauthorized", async () => {
    const ep = await endpoint(null);
    const p = puller(ep);
    expect(await p.tick()).toEqual({ outcome: "none" });
    expect(cap.events).toEqual([]);
    expect(await hasValidCurrent(root)).toBe(false);
    for (const status of [401, 403]) {
      ep.faults.manifestStatus = status;
      expect(await p.tick()).toMatchObject({ outcome: "failed", reason: "unauthorized" });
    }
    expect(cap.events.map((e) => e.event)).toEqual(["memory_bundle_install_failed", "memory_bundle_install_failed"]);
    expect(cap.events[0]!.fields).toEqual({ reason: "unauthorized" });
    expect((await state()).last_pull).toMatchObject({ outcome: "failed", error: "unauthorized" });
  });

  it("500 then success: the failure does not advance the ETag, the next tick installs", async () => {
    const ep = await endpoint(await makeBundle(base, "b1"));
    const p = puller(ep);
    await p.tick();
    const etag1 = (await state()).etag;
    ep.serve(await makeBundle(base, "b2"));
    ep.faults.manifestStatus = 500;
    expect(await p.tick()).toMatchObject({ outcome: "failed", reason: "http_status" });
    expect((await state()).etag).toBe(etag1);
    ep.faults.manifestStatus = null;
    ep.faults.archiveStatus = 500;
    expect(await p.tick()).toMatchObject({ outcome: "failed", reason: "http_status" });
    expect((await state()).etag).toBe(etag1);
    expect(await verifyCurrentWhole(root)).toBe("b1");
    ep.faults.archiveStatus = null;
    expect(await p.tick()).toMatchObject({ outcome: "installed", bundle_id: "b2" });
    expect((await state()).etag).not.toBe(etag1);
    expect(await verifyCurrentWhole(root)).toBe("b2");
  });

  it("cuts off a server that trickles one byte per 100 ms; staging removed, current untouched", async () => {
    const ep = await endpoint(await makeBundle(base, "b1"));
    await puller(ep).tick();
    const before = await currentTree(root);
    ep.serve(await makeBundle(base, "b2"));
    ep.faults.archiveMode = "trickle";
    ep.faults.trickleBytesPerSec = 10;
    // A short window, so the cut comes in well under a second (the default is 10 KiB/s over 30 s). Only here: on a
    // loaded machine an ordinary download of a few KiB can take longer than 400 ms, and other tests then failed too_slow.
    expect(await puller(ep, { minRateWindowMs: 400, minBytesPerSec: 1000 }).tick()).toMatchObject({ outcome: "failed", reason: "too_slow" });
    expect(await staging()).toEqual([]);
    expect(await currentTree(root)).toEqual(before);
    expect(cap.events.at(-1)).toEqual({ event: "memory_bundle_install_failed", fields: { reason: "too_slow" } });
  });

  it("enforces the overall download deadline against a server that stalls", async () => {
    const ep = await endpoint(await makeBundle(base, "b1"));
    ep.faults.archiveMode = "pause";
    expect(await puller(ep, { downloadTimeoutMs: 300, minBytesPerSec: 0 }).tick()).toMatchObject({
      outcome: "failed",
      reason: "download_timeout",
    });
    expect(await staging()).toEqual([]);
    expect(await hasValidCurrent(root)).toBe(false);
  });

  it("a connection dropped mid-archive fails as network; nothing installed", async () => {
    const ep = await endpoint(await makeBundle(base, "b1", { files: { "memories.db": Buffer.alloc(256 * 1024, 7) } }));
    ep.faults.archiveMode = "truncate";
    expect(await puller(ep).tick()).toMatchObject({ outcome: "failed", reason: "network" });
    expect(await staging()).toEqual([]);
    expect(await hasValidCurrent(root)).toBe(false);
    expect((await readdir(join(root, "bundles")))).toEqual([]);
  });

  it("refuses plain http to a non-loopback host without touching the network", async () => {
    const ep = await endpoint(null);
    const p = new Puller({ endpoint: "http://example.invalid", apiKey: KEY, bundleRoot: root, audit: cap.audit, logger: cap.logger });
    const o = await p.tick();
    outcomes.push(o);
    expect(o).toMatchObject({ outcome: "failed", reason: "insecure_url" });
    expect(ep.requests).toEqual([]);
  });

  it("caps the manifest body", async () => {
    const b1 = await makeBundle(base, "b1");
    const ep = await endpoint({ ...b1, manifestBytes: Buffer.alloc(2 * 1024 * 1024, 0x20) });
    expect(await puller(ep).tick()).toMatchObject({ outcome: "failed", reason: "manifest_too_large" });
  });

  it("sends no X-API-Key to an archive on another origin", async () => {
    const b1 = await makeBundle(base, "b1");
    const other = await endpoint(null);
    other.files.set(`/cdn/${b1.archiveName}`, b1.archive);
    const moved = editManifest(b1, (m) => ({ ...m, archive: { ...m.archive, path: `${other.url}/cdn/${b1.archiveName}` } }));
    const ep = await endpoint(moved);
    expect(await puller(ep).tick()).toMatchObject({ outcome: "installed", bundle_id: "b1" });
    expect(ep.requests.map((s) => s.headers["x-api-key"])).toEqual([KEY]);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]!.headers["x-api-key"]).toBeUndefined();
  });

  it("follows a redirect to another origin without the key, and refuses one to plain http off loopback", async () => {
    const b1 = await makeBundle(base, "b1");
    const other = await endpoint(null);
    other.files.set(`/cdn/${b1.archiveName}`, b1.archive);
    const ep = await endpoint(b1);
    ep.faults.redirectArchiveTo = `${other.url}/cdn/${b1.archiveName}`;
    expect(await puller(ep).tick()).toMatchObject({ outcome: "installed", bundle_id: "b1" });
    expect(ep.requests.map((s) => s.headers["x-api-key"])).toEqual([KEY, KEY]);
    expect(other.requests.map((s) => s.headers["x-api-key"])).toEqual([undefined]);
    ep.serve(await makeBundle(base, "b2"));
    ep.faults.redirectArchiveTo = "http://example.invalid/b2.tar.gz";
    expect(await puller(ep).tick()).toMatchObject({ outcome: "failed", reason: "insecure_url" });
    expect(await verifyCurrentWhole(root)).toBe("b1");
  });

  it("a new API key wipes the bundle root first (memory_tenant_switch)", async () => {
    const ep = await endpoint(await makeBundle(base, "b1"));
    await puller(ep).tick();
    ep.serve(null);
    const o = await puller(ep, { apiKey: KEY2 }).tick();
    expect(o).toEqual({ outcome: "none" });
    expect(cap.events.map((e) => e.event)).toContain("memory_tenant_switch");
    expect(await hasValidCurrent(root)).toBe(false);
    await expect(lstat(join(root, "current"))).rejects.toThrow();
    expect(await readdir(join(root, "bundles"))).toEqual([]);
    expect((await state()).highest_bundle_id).toBeNull();
    expect((await readFile(join(root, ".tenant_fingerprint"), "utf8")).trim()).toBe(tenantFingerprint(KEY2));
    expect(ep.requests.at(-1)!.headers["x-api-key"]).toBe(KEY2);
  });

  it("retention keeps the newest bundles and always the current target", async () => {
    const ep = await endpoint(null);
    const p = puller(ep, { retain: 2 });
    for (const id of ["b1", "b2", "b3", "b4"]) {
      ep.serve(await makeBundle(base, id));
      expect(await p.tick()).toMatchObject({ outcome: "installed", bundle_id: id });
    }
    expect((await readdir(join(root, "bundles"))).sort()).toEqual(["b3", "b4"]);
    // a newer leftover directory (never made current) must not push the current bundle out
    await mkdir(join(root, "bundles", "c9"));
    const q = puller(ep, { retain: 1 });
    ep.serve(await makeBundle(base, "b5"));
    expect(await q.tick()).toMatchObject({ outcome: "installed", bundle_id: "b5" });
    expect((await readdir(join(root, "bundles"))).sort()).toEqual(["b5", "c9"]);
    expect(await verifyCurrentWhole(root)).toBe("b5");
  });

  it("recovers leftovers at start; a dangling current counts as no bundle", async () => {
    const ep = await endpoint(await makeBundle(base, "b1"));
    await puller(ep).tick();
    await mkdir(join(root, "staging", "half"), { recursive: true });
    await symlink("bundles/zz", join(root, "current.tmp"));
    await recoverBundleRoot(root);
    expect(await staging()).toEqual([]);
    await expect(lstat(join(root, "current.tmp"))).rejects.toThrow();
    await rm(join(root, "bundles", "b1"), { recursive: true });
    expect(await hasValidCurrent(root)).toBe(false);
    expect((await readBundleState(root)).current).toBeNull();
    // and the next tick reinstalls (no If-None-Match for a bundle that is gone)
    expect(await puller(ep).tick()).toMatchObject({ outcome: "installed", bundle_id: "b1" });
    expect(ep.requests.at(-2)!.headers["if-none-match"]).toBeUndefined();
    expect(await verifyCurrentWhole(root)).toBe("b1");
  });
});

describe("rejections leave current byte-identical and nothing outside the bundle root", () => {
  async function rejects(
    make: (k: ReturnType<typeof keys>) => Promise<Published>,
    reason: string,
    over: (k: ReturnType<typeof keys>) => Partial<PullerOptions> = () => ({}),
  ): Promise<void> {
    const k = keys();
    const ep = await endpoint(await makeBundle(base, "b5", { signKeyPem: k.privateKeyPem }));
    const p = puller(ep, { publicKeys: [k.publicKey], ...over(k) });
    expect((await p.tick()).outcome).toBe("installed");
    const etag = (await state()).etag;
    const rootBefore = await hashTree(root);
    ep.serve(await make(k));
    const o = await p.tick();
    expect(o).toMatchObject({ outcome: "rejected", reason });
    const after = await hashTree(root);
    delete after["state.json"];
    delete rootBefore["state.json"];
    expect(after).toEqual(rootBefore);
    expect(await readdir(box)).toEqual(["root"]);
    expect(await verifyCurrentWhole(root)).toBe("b5");
    expect((await state()).etag).toBe(etag);
    expect((await state()).last_pull).toMatchObject({ outcome: "rejected", error: reason });
    expect(cap.events.at(reason === "unsafe_path" || reason === "link_entry" ? -2 : -1)).toMatchObject({
      event: "memory_bundle_rejected",
      fields: { reason },
    });
  }

  it("bad signature", () => rejects(async () => makeBundle(base, "b6", { signKeyPem: keys().privateKeyPem }), "bad_signature"));
  it("unsigned while keys are configured", () => rejects(async () => makeBundle(base, "b6"), "unsigned"));
  it("expired", () =>
    rejects(async (k) => makeBundle(base, "b6", { signKeyPem: k.privateKeyPem, expiresAt: "2020-01-01T00:00:00Z" }), "expired"));
  it("wrong tenant", () =>
    rejects(async (k) => makeBundle(base, "b6", { signKeyPem: k.privateKeyPem, tenant: "0000000000000000" }), "wrong_tenant"));
  it("schema out of range", () =>
    rejects(async (k) => makeBundle(base, "b6", { signKeyPem: k.privateKeyPem, schemaVersion: "2.0.0" }), "schema_out_of_range"));
  it("rollback", () => rejects(async (k) => makeBundle(base, "b4", { signKeyPem: k.privateKeyPem }), "rollback"));
  it("archive hash lie", () =>
    rejects(async (k) => {
      const b = await makeBundle(base, "b6", { signKeyPem: k.privateKeyPem });
      return editManifest(b, (m) => ({ ...m, archive: { ...m.archive, sha256: "0".repeat(64) } }), k.privateKeyPem);
    }, "archive_hash_mismatch"));
  it("unsafe path in a hostile tarball (memory_bundle_unsafe_path)", async () => {
    await rejects(async (k) => {
      const b = await makeBundle(base, "b6", { signKeyPem: k.privateKeyPem, files: { "memories.db": "x" } });
      return withArchive(b, hostileTarball([{ name: "../escape.txt", body: "pwned" }, { name: "memories.db", body: "x" }]), k.privateKeyPem);
    }, "unsafe_path");
    expect(cap.events.at(-1)).toEqual({ event: "memory_bundle_unsafe_path", fields: { reason: "unsafe_path" } });
  });
  it("unsafe path at the start of a large hostile tarball (rejected early, not a network failure)", () =>
    rejects(async (k) => {
      const b = await makeBundle(base, "b6", { signKeyPem: k.privateKeyPem, files: { "memories.db": "x" } });
      const filler = Array.from({ length: 64 }, (_, i) => ({ name: `f${i}`, body: randomBytes(64 * 1024).toString("base64") }));
      return withArchive(b, hostileTarball([{ name: "../escape.txt", body: "pwned" }, ...filler]), k.privateKeyPem);
    }, "unsafe_path"));
  it("symlink entry in a hostile tarball", () =>
    rejects(async (k) => {
      const b = await makeBundle(base, "b6", { signKeyPem: k.privateKeyPem, files: { "memories.db": "x" } });
      return withArchive(b, hostileTarball([{ name: "memories.db", type: "2", linkname: "/etc/passwd" }]), k.privateKeyPem);
    }, "link_entry"));

  it("rollback stays refused after deleting current (durable highest_bundle_id)", async () => {
    const ep = await endpoint(await makeBundle(base, "b2"));
    const p = puller(ep);
    await p.tick();
    await rm(join(root, "current"));
    await rm(join(root, "bundles"), { recursive: true });
    ep.serve(await makeBundle(base, "b1"));
    expect(await p.tick()).toMatchObject({ outcome: "rejected", reason: "rollback" });
    expect(await hasValidCurrent(root)).toBe(false);
  });
});

describe("locking and reload", () => {
  it("a second puller in this process gets busy while the first one downloads", async () => {
    const ep = await endpoint(await makeBundle(base, "b1", { files: { "memories.db": Buffer.alloc(128 * 1024, 1) } }));
    ep.faults.archiveMode = "pause";
    const paused = new Promise<void>((r) => (ep.faults.onPause = r));
    const ac = new AbortController();
    const first = puller(ep, { minBytesPerSec: 0 }).tick({ signal: ac.signal });
    await paused;
    expect(await puller(ep).tick()).toEqual({ outcome: "busy" });
    ac.abort();
    expect(await first).toMatchObject({ outcome: "failed", reason: "aborted" });
    ep.faults.archiveMode = "normal";
    expect(await puller(ep).tick()).toMatchObject({ outcome: "installed" });
  });

  it("reload: retries once after 409, then succeeds", async () => {
    const scDir = await tempDir("pl-");
    const sc = await startFakeSidecar(scDir, [409, 200]);
    closers.push(() => sc.close(), () => rm(scDir, { recursive: true, force: true }));
    const ep = await endpoint(await makeBundle(base, "b1"));
    expect(await puller(ep, { socketPath: sc.socketPath }).tick()).toMatchObject({ outcome: "installed" });
    expect(sc.reloads).toEqual([409, 200]);
    expect(cap.events.map((e) => e.event)).not.toContain("memory_reload_failed");
  });

  it("reload failure is audited but the bundle is still installed", async () => {
    const scDir = await tempDir("pl-");
    const sc = await startFakeSidecar(scDir, [500]);
    closers.push(() => sc.close(), () => rm(scDir, { recursive: true, force: true }));
    const ep = await endpoint(await makeBundle(base, "b1"));
    expect(await puller(ep, { socketPath: sc.socketPath }).tick()).toMatchObject({ outcome: "installed" });
    expect(cap.events.map((e) => e.event)).toContain("memory_reload_failed");
    expect(cap.events.find((e) => e.event === "memory_reload_failed")?.fields).toMatchObject({ reason: "sidecar_reload", class: "internal" });
    expect(await verifyCurrentWhole(root)).toBe("b1");
  });
});
