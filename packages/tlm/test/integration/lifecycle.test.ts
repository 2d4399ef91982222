import { afterEach, describe, expect, it } from "vitest";
import { connect } from "node:net";
import { mkdir, rm, stat, writeFile, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import fc from "fast-check";
import { call, exampleRecords, installBundle, runTlm, spawnTlm, stopChild, tempDir, waitHealthy, type TlmChild } from "./harness";

const HANG = fileURLToPath(new URL("../fixtures/listen-and-hang.mjs", import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function withDir() {
  const dir = await tempDir();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
function track(t: TlmChild): TlmChild {
  cleanups.push(() => stopChild(t));
  return t;
}
function stderrContains(t: TlmChild, text: string): Promise<void> {
  return new Promise((done) => {
    if (t.stderr().includes(text)) { done(); return; }
    const on = () => { if (t.stderr().includes(text)) { t.child.stderr!.off("data", on); done(); } };
    t.child.stderr!.on("data", on);
  });
}

describe("tlm serve: lifecycle", () => {
  it("SIGTERM lets an in-flight query finish, unlinks the socket and exits 0", async () => {
    const dir = await withDir();
    const root = join(dir, "root");
    const sock = join(dir, "s.sock");
    await installBundle(root, "b1", await exampleRecords());
    const t = track(spawnTlm(["serve", "--socket", sock, "--bundle-root", root, "--poll-interval", "0"]));
    await waitHealthy(t, sock);
    const body = JSON.stringify({ text: "kafka partitions", limit: 2 });
    const raw = connect(sock);
    cleanups.push(async () => { raw.destroy(); });
    let response = "";
    raw.on("data", (d) => { response += d.toString(); });
    const closed = new Promise<void>((r) => raw.once("close", () => r()));
    await new Promise<void>((r) => raw.once("connect", () => r()));
    raw.write(`POST /query HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await expect
      .poll(async () => (await call(sock, "GET", "/metrics")).text, { timeout: 20_000, interval: 25, message: "query in flight" })
      .toMatch(/tlm_in_flight_requests [2-9]/);
    t.child.kill("SIGTERM");
    await stderrContains(t, "shutting down");
    raw.end(body.slice(5));
    await closed;
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response).toContain('"bundle_id":"b1"');
    expect(await t.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(sock)).toBe(false);
    expect(t.stderr()).toContain('"event":"stopped"');
  });

  it("exits by itself when --parent-pid dies", async () => {
    const dir = await withDir();
    const sock = join(dir, "s.sock");
    const parent = execa(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore", cleanup: true, reject: false });
    const parentGone = new Promise((r) => parent.once("exit", r));
    cleanups.push(async () => { if (parent.exitCode === null && parent.signalCode === null) parent.kill("SIGKILL"); await parentGone; });
    // Global options before the command, as the sidecar handle passes its extra args.
    const t = track(spawnTlm(["--log-level", "debug", "serve", "--socket", sock, "--bundle-root", join(dir, "root"), "--parent-pid", String(parent.pid), "--poll-interval", "250ms"]));
    await waitHealthy(t, sock);
    parent.kill("SIGKILL");
    await parentGone;
    expect(await t.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(sock)).toBe(false);
    expect(t.stderr()).toContain(`parent ${parent.pid} is gone`);
  });

  it("creates the socket directory 0700 and the socket 0600", async () => {
    const dir = await withDir();
    const sock = join(dir, "a", "b", "s.sock");
    const t = track(spawnTlm(["serve", "--socket", sock, "--bundle-root", join(dir, "root")]));
    await waitHealthy(t, sock);
    expect((await stat(join(dir, "a"))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, "a", "b"))).mode & 0o777).toBe(0o700);
    const st = await stat(sock);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it("removes a stale socket file and starts", async () => {
    const dir = await withDir();
    const sock = join(dir, "s.sock");
    const hang = execa(process.execPath, [HANG, sock], { stdio: ["ignore", "pipe", "ignore"], buffer: false, cleanup: true, reject: false });
    const hangGone = new Promise((r) => hang.once("exit", r));
    cleanups.push(async () => { if (hang.exitCode === null && hang.signalCode === null) hang.kill("SIGKILL"); await hangGone; });
    await new Promise<void>((r) => hang.stdout.once("data", () => r()));
    hang.kill("SIGKILL");
    await hangGone;
    expect((await stat(sock)).isSocket()).toBe(true);
    const t = track(spawnTlm(["serve", "--socket", sock, "--bundle-root", join(dir, "root")]));
    const h = await waitHealthy(t, sock);
    expect(h.pid).toBe(t.child.pid);
  });

  it("refuses to start (exit 3) when a live server answers on the socket", async () => {
    const dir = await withDir();
    const sock = join(dir, "s.sock");
    const first = track(spawnTlm(["serve", "--socket", sock, "--bundle-root", join(dir, "root")]));
    await waitHealthy(first, sock);
    const second = await runTlm(["serve", "--socket", sock, "--bundle-root", join(dir, "root")]);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain("already answers");
    const h = (await call(sock, "GET", "/health")).json();
    expect(h.pid).toBe(first.child.pid);
  });

  it("refuses to remove a non-socket file in the way (exit 3), and a too-long path (exit 2)", async () => {
    const dir = await withDir();
    const file = join(dir, "not-a-socket");
    await writeFile(file, "keep me");
    const r = await runTlm(["serve", "--socket", file, "--bundle-root", join(dir, "root")]);
    expect(r.code).toBe(3);
    expect(await readFile(file, "utf8")).toBe("keep me");
    const long = await runTlm(["serve", "--socket", join(dir, "x".repeat(120), "s.sock"), "--bundle-root", join(dir, "root")]);
    expect(long.code).toBe(2);
    expect(long.stderr).toContain("TLM_SOCKET_PATH_TOO_LONG");
  });

  it("usage errors exit 2; --help prints every command's options", async () => {
    expect((await runTlm(["serve"])).code).toBe(2);
    expect((await runTlm(["serve", "--socket", "x", "--bundle-root", "y", "--poll-interval", "soon"])).code).toBe(2);
    expect((await runTlm(["frobnicate"])).code).toBe(2);
    for (const args of [["--help"], ["serve", "--help"], ["bundle", "build", "--help"]]) {
      const r = await runTlm(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Usage");
    }
  });
});

describe("tlm serve: fuzzed requests", () => {
  it("answers only declared statuses and stays healthy", async () => {
    const dir = await withDir();
    const root = join(dir, "root");
    const sock = join(dir, "s.sock");
    await mkdir(root, { recursive: true });
    await installBundle(root, "b1", await exampleRecords());
    const t = track(spawnTlm(["serve", "--socket", sock, "--bundle-root", root, "--poll-interval", "0"]));
    await waitHealthy(t, sock);
    const intentish = fc.record({
      text: fc.oneof(fc.string(), fc.string({ unit: "grapheme", maxLength: 50 }), fc.constantFrom('"', "NEAR(a b)", "*", "a OR", "-x", "^", "")),
      kinds: fc.option(fc.array(fc.oneof(fc.constantFrom("fact", "note", "episode"), fc.string()), { maxLength: 6 }), { nil: undefined }),
      entities: fc.option(fc.array(fc.string(), { maxLength: 40 }), { nil: undefined }),
      since: fc.option(fc.oneof(fc.constant("2025-01-01"), fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), { nil: undefined }),
      until: fc.option(fc.oneof(fc.constant("2026-06-30T00:00:00Z"), fc.string()), { nil: undefined }),
      limit: fc.option(fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double()), { nil: undefined }),
      budget_ms: fc.option(fc.integer({ min: -1, max: 6000 }), { nil: undefined }),
    }, { requiredKeys: [] }).map((o) => JSON.stringify(o));
    const body = fc.oneof(intentish, fc.json(), fc.string(), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)));
    const route = fc.constantFrom(["POST", "/query"], ["POST", "/query"], ["POST", "/query"], ["POST", "/bundle/reload"],
      ["GET", "/health"], ["PUT", "/query"], ["POST", "/nope?x=1"], ["DELETE", "/metrics"]);
    await fc.assert(fc.asyncProperty(route, body, async ([method, path], b) => {
      const a = await call(sock, method, path, b);
      expect([200, 400, 404, 405, 409, 413, 422, 503]).toContain(a.status);
      expect(() => JSON.parse(a.text)).not.toThrow();
    }), { numRuns: 300, seed: 42 });
    const h = await call(sock, "GET", "/health");
    expect(h.json()).toMatchObject({ ready: true, bundle_id: "b1" });
    expect(t.child.exitCode).toBe(null);
  });
});
