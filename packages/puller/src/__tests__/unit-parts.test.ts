import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock } from "../lock";
import { normalizeState, readState, writeState, emptyState } from "../state";
import { checkUrl, isLoopbackHost, manifestUrlOf, sameOrigin } from "../url-policy";
import { TransferGuard } from "../transfer-guard";
import { tenantFingerprint, ensureTenant } from "../tenant";
import { resolveOptions } from "../options";
import { PullerError } from "../errors";
import { FakeClock, settle } from "./fake-clock";

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "puller-unit-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("url policy", () => {
  it("allows http only to loopback unless insecure http is allowed", () => {
    expect(checkUrl(new URL("http://127.0.0.1:8080/x"), false)).toBeNull();
    expect(checkUrl(new URL("http://localhost/x"), false)).toBeNull();
    expect(checkUrl(new URL("http://[::1]:9/x"), false)).toBeNull();
    expect(checkUrl(new URL("https://example.com/x"), false)).toBeNull();
    expect(checkUrl(new URL("http://example.com/x"), false)).toMatch(/refused/);
    expect(checkUrl(new URL("http://10.0.0.1/x"), false)).toMatch(/refused/);
    expect(checkUrl(new URL("http://example.com/x"), true)).toBeNull();
    expect(checkUrl(new URL("ftp://example.com/x"), true)).toMatch(/scheme/);
    expect(checkUrl(new URL("https://u:p@example.com/x"), true)).toMatch(/credentials/);
    expect(isLoopbackHost("127.1.2.3")).toBe(true);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
    expect(isLoopbackHost("localhost.evil.com")).toBe(false);
  });

  it("builds the manifest URL and compares origins", () => {
    expect(manifestUrlOf("https://h.example/base/").href).toBe("https://h.example/base/api/v1/memory/bundle/manifest");
    expect(manifestUrlOf("http://127.0.0.1:9").href).toBe("http://127.0.0.1:9/api/v1/memory/bundle/manifest");
    const m = manifestUrlOf("http://127.0.0.1:9");
    expect(sameOrigin(m, new URL("bundle-x.tar.gz", m))).toBe(true);
    expect(sameOrigin(m, new URL("http://127.0.0.1:10/b.tar.gz"))).toBe(false);
    expect(() => manifestUrlOf("not a url")).toThrow(TypeError);
  });
});

describe("lock", () => {
  it("is exclusive in one process and released idempotently", async () => {
    const d = await tmp();
    const a = await acquireLock(join(d, "bundle.lock"));
    expect(a).not.toBeNull();
    expect(await acquireLock(join(d, "bundle.lock"))).toBeNull();
    await a!.release();
    await a!.release();
    const b = await acquireLock(join(d, "bundle.lock"));
    expect(b).not.toBeNull();
    await b!.release();
  });

  it("breaks a lock whose owner is dead, never a live one or an unreadable one", async () => {
    const d = await tmp();
    const p = join(d, "bundle.lock");
    await writeFile(p, JSON.stringify({ pid: 2 ** 22 + 12345, start: "1", token: "x" }));
    const a = await acquireLock(p);
    expect(a).not.toBeNull();
    await a!.release();
    await writeFile(p, JSON.stringify({ pid: process.ppid, start: null, token: "y" }));
    expect(await acquireLock(p)).toBeNull();
    await writeFile(p, "");
    expect(await acquireLock(p)).toBeNull();
    expect(await readFile(p, "utf8")).toBe("");
  });
});

describe("state.json", () => {
  it("round-trips atomically and tolerates damage", async () => {
    const d = await tmp();
    const p = join(d, "state.json");
    expect(await readState(p)).toBeNull();
    const s = { ...emptyState(), etag: '"e"', highest_bundle_id: "b2", installed: { bundle_id: "b2", at: "2026-01-01T00:00:00Z" } };
    await writeState(p, s);
    expect(await readState(p)).toEqual(s);
    await writeFile(p, "{not json");
    expect(await readState(p)).toBeNull();
    expect(normalizeState({ etag: 5, highest_bundle_id: "x", last_pull: { at: "t", outcome: "bogus" } })).toEqual({
      ...emptyState(),
      highest_bundle_id: "x",
    });
  });
});

describe("tenant fingerprint", () => {
  it("is 16 hex of sha256('recall-tenant:'+key) and a change wipes the root", async () => {
    expect(tenantFingerprint("k")).toMatch(/^[0-9a-f]{16}$/);
    expect(tenantFingerprint("k")).not.toBe(tenantFingerprint("k2"));
    const d = await tmp();
    expect(await ensureTenant(d, tenantFingerprint("k"))).toBe(false);
    await writeFile(join(d, "state.json"), "{}");
    expect(await ensureTenant(d, tenantFingerprint("k"))).toBe(false);
    expect(await ensureTenant(d, tenantFingerprint("k2"))).toBe(true);
    expect(await readState(join(d, "state.json"))).toBeNull();
    expect((await readFile(join(d, ".tenant_fingerprint"), "utf8")).trim()).toBe(tenantFingerprint("k2"));
  });
});

describe("TransferGuard", () => {
  it("trips too_slow when the window's throughput is under the minimum", async () => {
    const clock = new FakeClock();
    const g = new TransferGuard(clock, { deadlineMs: 1e9, minBytesPerSec: 100, windowMs: 1000 });
    g.start();
    for (let i = 0; i < 8; i++) {
      g.add(50); // 200 B/s
      await settle();
      clock.fireNext();
    }
    await settle();
    expect(g.tripped).toBeNull();
    for (let i = 0; i < 12 && g.tripped === null; i++) {
      g.add(5); // 20 B/s
      await settle();
      clock.fireNext();
    }
    await settle();
    expect(g.tripped).toBe("too_slow");
    expect(g.signal.aborted).toBe(true);
  });

  it("trips download_timeout at the deadline and stops cleanly", async () => {
    const clock = new FakeClock();
    const g = new TransferGuard(clock, { deadlineMs: 2000, minBytesPerSec: 0, windowMs: 1000 });
    g.start();
    for (let i = 0; i < 20 && g.tripped === null; i++) {
      g.add(1e6);
      await settle();
      clock.fireNext();
    }
    expect(g.tripped).toBe("download_timeout");
    const h = new TransferGuard(clock, { deadlineMs: 2000, minBytesPerSec: 1, windowMs: 1000 });
    h.start();
    await settle();
    h.stop();
    await settle();
    expect(clock.pending).toBe(0);
    expect(h.tripped).toBeNull();
  });
});

describe("options", () => {
  it("applies defaults, copies and validates", () => {
    const keys = ["a"];
    const o = resolveOptions({ endpoint: "https://x", apiKey: "k", bundleRoot: "/r", publicKeys: keys });
    expect(o.retain).toBe(3);
    expect(o.minRateWindowMs).toBe(30_000);
    expect(o.maxManifestBytes).toBe(1024 * 1024);
    expect(Object.isFrozen(o)).toBe(true);
    keys.push("b");
    expect(o.publicKeys).toEqual(["a"]);
    expect(() => resolveOptions({ endpoint: "", apiKey: "", bundleRoot: "" })).toThrow(PullerError);
    expect(() => resolveOptions({ endpoint: "", apiKey: "", bundleRoot: "/r", retain: -1 })).toThrow(/retain/);
  });
});
