import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { attachPolicy, Sidecar, SidecarError, type ReadyResult } from "@recall/sidecar";
import {
  existsSync,
  expectGroupDead,
  fixture,
  fixtureSidecar,
  onCleanup,
  readPid,
  recordingLogger,
  running,
  tempEnv,
} from "./helpers";

const LONG = 600_000; // a ceiling no test may wait out: returning early is the point

/** Waits until something answers on the socket (any answer), so a short ceiling tests the answer, not the start-up time. */
const listening = (socketPath: string) =>
  expect
    .poll(
      async () => {
        const r = await attachPolicy(socketPath, 1000);
        return r.ok || r.class !== "unavailable";
      },
      { timeout: 20_000, interval: 20, message: `something answering on ${socketPath}` },
    )
    .toBe(true);

describe("Sidecar lifecycle with fixture sidecars", () => {
  it("spawns in its own process group, gets ready, and shuts down leaving nothing behind", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "ready.mjs");
    await sc.spawn(new AbortController().signal);
    const pid = sc.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]).toBe(String(pid)); // pgrp == pid
    const r = await sc.waitReady(new AbortController().signal, LONG);
    expect(r).toMatchObject({ ok: true, detail: { health: { ready: true, pid } } });
    expect(existsSync(env.socketPath)).toBe(true);

    const waited = sc.wait();
    await sc.shutdown(2000);
    expect(await waited).toEqual({ code: 0, signal: null });
    expect(sc.pid).toBeNull();
    expect(existsSync(env.socketPath)).toBe(false);
    await expectGroupDead(pid);
  });

  it("detects readiness from the probe schedule alone when the socket is not watched", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "ready.mjs", { watchSocket: false, extraArgs: ["--delay-ms", "100"] });
    await sc.spawn();
    expect(await sc.waitReady(undefined, LONG)).toMatchObject({ ok: true, detail: { health: { ready: true } } });
  });

  it("treats an alive sidecar without a bundle (compatibility unknown) as operational", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "ready.mjs", { extraArgs: ["--unknown"] });
    await sc.spawn();
    const r = await sc.waitReady(undefined, LONG);
    expect(r).toMatchObject({ ok: true, detail: { health: { ready: false, compatibility: "unknown" } } });
  });

  it("returns early with the exit status when the child crashes at start", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "crash-at-start.mjs");
    await sc.spawn();
    const pid = sc.pid!;
    const r = await sc.waitReady(undefined, LONG);
    expect(r).toMatchObject({ ok: false, reason: "exited", exit: { code: 2, signal: null } });
    expect(sc.recentOutput()).toContain("fatal: cannot open bundle");
    await sc.shutdown(100);
    await expectGroupDead(pid);
  });

  it("returns early when the child kills itself with a signal", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "exit-signal.mjs", { extraArgs: ["--signal", "SIGUSR2"] });
    await sc.spawn();
    expect(await sc.waitReady(undefined, LONG)).toMatchObject({ ok: false, reason: "exited", exit: { code: null, signal: "SIGUSR2" } });
  });

  it("reports a signal exit of a ready child through wait()", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "exit-signal.mjs", { extraArgs: ["--when", "ready", "--signal", "SIGUSR2"] });
    await sc.spawn();
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
    expect(await sc.wait()).toEqual({ code: null, signal: "SIGUSR2" });
    expect(existsSync(env.socketPath)).toBe(true); // left behind by the dead child…
    await sc.shutdown(100);
    expect(existsSync(env.socketPath)).toBe(false); // …and removed by shutdown
  });

  it("times out on a child that never listens, with no last health", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "hang.mjs");
    await sc.spawn();
    const pid = sc.pid!;
    const r = await sc.waitReady(undefined, 400);
    expect(r).toMatchObject({ ok: false, reason: "timeout", detail: { last_health: null, last_error: { class: "unavailable" } } });
    expect(Object.keys(r.ok ? {} : (r.detail ?? {})).sort()).toEqual(["last_error", "last_health"]);
    await sc.shutdown(2000);
    await expectGroupDead(pid);
  });

  it("times out on a child stuck loading, carrying the last health it saw", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "hang.mjs", { extraArgs: ["--listen"] });
    await sc.spawn();
    await listening(env.socketPath);
    const r = await sc.waitReady(undefined, 300);
    expect(r).toMatchObject({ ok: false, reason: "timeout", detail: { last_health: { ready: false, compatibility: "compatible" } } });
  });

  it("reports incompatible with the sub_code when the last health says so", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "incompatible.mjs", { extraArgs: ["--sub-code", "corrupt"] });
    await sc.spawn();
    await listening(env.socketPath);
    const r = await sc.waitReady(undefined, 300);
    expect(r).toMatchObject({
      ok: false,
      reason: "incompatible",
      detail: { sub_code: "corrupt", code: "incompatible_bundle", health: { compatibility: "incompatible" } },
    });
  });

  it("reports health_failed when the socket answers with something that is not a Health", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "bad-health.mjs");
    await sc.spawn();
    await listening(env.socketPath);
    const r = await sc.waitReady(undefined, 300);
    expect(r).toMatchObject({ ok: false, reason: "health_failed", detail: { last_error: { class: "internal" } } });
  });

  it("stops waiting when its signal aborts", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "hang.mjs");
    await sc.spawn();
    const ac = new AbortController();
    const p = sc.waitReady(ac.signal, LONG);
    setTimeout(() => ac.abort(), 50);
    expect(await p).toMatchObject({ ok: false, reason: "timeout", detail: { aborted: true } });
  });

  it("kills a child that ignores SIGTERM after the grace", async () => {
    const env = tempEnv();
    const log = recordingLogger();
    const sc = fixtureSidecar(env, "ignore-sigterm.mjs", { logger: log });
    await sc.spawn();
    const pid = sc.pid!;
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
    await sc.shutdown(300);
    expect(await sc.wait()).toEqual({ code: null, signal: "SIGKILL" });
    expect(existsSync(env.socketPath)).toBe(false);
    await expectGroupDead(pid);
    expect(log.entries.some((e) => e.msg?.includes("ignored SIGTERM"))).toBe(true);
    await expect.poll(() => sc.recentOutput(), { timeout: 5000, interval: 20 }).toContain("ignoring SIGTERM");
  });

  it.each([
    ["a grandchild that exits on SIGTERM", []],
    ["a grandchild that ignores SIGTERM", ["--grandchild-ignores-term"]],
  ])("kills the whole group, including %s holding the socket", async (_n, extra) => {
    const env = tempEnv();
    const pidFile = join(env.dir, "gc.pid");
    const sc = fixtureSidecar(env, "fork-grandchild.mjs", { extraArgs: ["--pid-file", pidFile, ...extra] });
    await sc.spawn();
    const pid = sc.pid!;
    const r = await sc.waitReady(undefined, LONG);
    expect(r.ok).toBe(true);
    const gc = readPid(pidFile);
    expect(r).toMatchObject({ detail: { health: { pid: gc } } }); // the grandchild answers
    await sc.shutdown(300);
    expect(existsSync(env.socketPath)).toBe(false);
    await expectGroupDead(pid, [pid, gc]);
  });

  it("kills grandchildren left behind by a leader that already exited", async () => {
    const env = tempEnv();
    const pidFile = join(env.dir, "gc.pid");
    const sc = fixtureSidecar(env, "fork-grandchild.mjs", { extraArgs: ["--pid-file", pidFile, "--leader-exits"] });
    await sc.spawn();
    const pid = sc.pid!;
    expect(await sc.wait()).toEqual({ code: 0, signal: null });
    const gc = readPid(pidFile);
    expect(running(gc)).toBe(true);
    expect((await attachPolicy(env.socketPath)).ok).toBe(true);
    await sc.shutdown(1000);
    expect(existsSync(env.socketPath)).toBe(false);
    await expectGroupDead(pid, [pid, gc]);
  });

  it("makes shutdown idempotent: concurrent, repeated, with wait() pending, before spawn and after exit", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "ready.mjs");
    await expect(sc.shutdown(100)).resolves.toBeUndefined(); // nothing spawned yet
    await sc.spawn();
    const pid = sc.pid!;
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
    const waits = [sc.wait(), sc.wait()];
    const downs = [sc.shutdown(1000), sc.shutdown(1000), sc.shutdown(0)];
    await Promise.all(downs);
    await sc.shutdown(1000);
    expect(await Promise.all(waits)).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    expect(await sc.wait()).toEqual({ code: 0, signal: null });
    await expectGroupDead(pid);

    // a child that exited on its own
    const crash = fixtureSidecar(tempEnv(), "crash-at-start.mjs");
    await crash.spawn();
    await crash.wait();
    await expect(crash.shutdown(100)).resolves.toBeUndefined();
    await expect(crash.shutdown(100)).resolves.toBeUndefined();
  });

  it("leaves no child behind when spawn's signal aborts while it starts", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "ready.mjs");
    const ac = new AbortController();
    const p = sc.spawn(ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: "SIDECAR_ABORTED" });
    expect(sc.pid).toBeNull();
    expect(existsSync(env.socketPath)).toBe(false);
  });

  it("spawns again after a shutdown, and refuses to spawn over a running child", async () => {
    const env = tempEnv();
    const sc = fixtureSidecar(env, "ready.mjs");
    await sc.spawn();
    await expect(sc.spawn()).rejects.toMatchObject({ code: "SIDECAR_ALREADY_RUNNING", reason: "exec_error" });
    const first = sc.pid!;
    await sc.shutdown(1000);
    await sc.spawn();
    expect(sc.pid).not.toBe(first);
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
  });
});

describe("Sidecar socket handling", () => {
  it("refuses to spawn over a live sidecar (socket_in_use) and never touches it", async () => {
    const env = tempEnv();
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(env.dir, "run"), { mode: 0o700 });
    const server = createServer((_q, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ protocol: 1, ready: true, compatibility: "compatible", bundle_id: "x", schema_version: "1.0.0", supported_schema: "^1.0.0", pid: process.pid, uptime_s: 1 }));
    });
    await new Promise<void>((r) => server.listen(env.socketPath, r));
    onCleanup(() => new Promise((r) => server.close(r)));
    const sc = fixtureSidecar(env, "ready.mjs");
    const err = await sc.spawn().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SidecarError);
    expect(err).toMatchObject({ code: "SIDECAR_SOCKET_IN_USE", reason: "socket_in_use" });
    expect(sc.pid).toBeNull();
    await sc.shutdown(100);
    expect(existsSync(env.socketPath)).toBe(true);
    expect((await attachPolicy(env.socketPath)).ok).toBe(true);
  });

  it("removes a stale socket file nobody answers on, then starts", async () => {
    const env = tempEnv();
    // a sidecar SIGKILLed by someone else leaves its socket file behind
    const stray = execa(process.execPath, [fixture("ready.mjs"), "serve", "--socket", env.socketPath, "--parent-pid", String(process.pid)], {
      stdio: "ignore",
      cleanup: true,
      reject: false,
    });
    onCleanup(() => stray.kill("SIGKILL"));
    await expect.poll(async () => (await attachPolicy(env.socketPath)).ok, { timeout: 20_000, interval: 20 }).toBe(true);
    stray.kill("SIGKILL");
    await new Promise((r) => stray.once("exit", r));
    expect(existsSync(env.socketPath)).toBe(true);
    expect((await attachPolicy(env.socketPath)).ok).toBe(false);

    const log = recordingLogger();
    const sc = fixtureSidecar(env, "ready.mjs", { logger: log });
    await sc.spawn();
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
    expect(log.entries.some((e) => e.msg === "removing stale sidecar socket")).toBe(true);
  });

  it("refuses a socket path that is not a socket", async () => {
    const env = tempEnv();
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(env.dir, "run"));
    writeFileSync(env.socketPath, "not a socket");
    const sc = fixtureSidecar(env, "ready.mjs");
    await expect(sc.spawn()).rejects.toMatchObject({ code: "SIDECAR_EXEC_ERROR", reason: "exec_error" });
    expect(readFileSync(env.socketPath, "utf8")).toBe("not a socket");
  });
});

describe("Sidecar binary, environment and output", () => {
  it("fails with reason binary_missing for a binary that does not exist", async () => {
    const env = tempEnv();
    const sc = new Sidecar({ socketPath: env.socketPath, bundleRoot: env.bundleRoot, binary: join(env.dir, "no-such-tlm") });
    await expect(sc.spawn()).rejects.toMatchObject({ code: "SIDECAR_BINARY_MISSING", reason: "binary_missing" });
    expect(await sc.waitReady(undefined, 10)).toMatchObject({ ok: false, reason: "exited" });
    await sc.shutdown(10);
  });

  it("fails with reason exec_error for a file that is not executable", async () => {
    const env = tempEnv();
    const bin = join(env.dir, "tlm");
    writeFileSync(bin, "#!/bin/sh\nexit 0\n", { mode: 0o644 });
    const sc = new Sidecar({ socketPath: env.socketPath, bundleRoot: env.bundleRoot, binary: bin });
    await expect(sc.spawn()).rejects.toMatchObject({ code: "SIDECAR_EXEC_ERROR", reason: "exec_error" });
  });

  it("runs a native executable directly, with the serve arguments", async () => {
    const env = tempEnv();
    const bin = join(env.dir, "tlm");
    const argsFile = join(env.dir, "args");
    writeFileSync(bin, `#!/bin/sh\necho "$@" > ${argsFile}\nexit 7\n`, { mode: 0o755 });
    const sc = new Sidecar({ socketPath: env.socketPath, bundleRoot: env.bundleRoot, binary: bin, extraArgs: ["--verbose"], parentPid: 4242 });
    onCleanup(() => sc.shutdown(100));
    await sc.spawn();
    expect(await sc.waitReady(undefined, LONG)).toMatchObject({ ok: false, reason: "exited", exit: { code: 7 } });
    expect(readFileSync(argsFile, "utf8").trim()).toBe(
      `--verbose serve --socket ${env.socketPath} --bundle-root ${env.bundleRoot} --parent-pid 4242`,
    );
  });

  it("gives the child the parent environment minus RECALL_* and anything named like a secret", async () => {
    const env = tempEnv();
    const envFile = join(env.dir, "env.json");
    const secret = "sk-live-0123456789abcdef";
    const sc = fixtureSidecar(env, "ready.mjs", {
      extraArgs: ["--dump-env", envFile],
      env: {
        PATH: process.env.PATH,
        HOME: "/home/someone",
        KEEP_ME: "yes",
        RECALL_MEMORY_API_KEY: secret,
        RECALL_CONFIG: "/etc/recall.yaml",
        recall_memory_endpoint: "http://x",
        OPENAI_API_KEY: secret,
        GITHUB_TOKEN: secret,
        DB_PASSWORD: secret,
        AWS_SECRET_ACCESS_KEY: secret,
        ssh_private_key: secret,
      },
    });
    await sc.spawn();
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
    const raw = readFileSync(envFile, "utf8");
    expect(raw).not.toContain(secret);
    const got = JSON.parse(raw) as Record<string, string>;
    expect(got.KEEP_ME).toBe("yes");
    expect(got.HOME).toBe("/home/someone");
    for (const name of Object.keys(got)) {
      expect(name).not.toMatch(/^RECALL_/i);
      expect(name).not.toMatch(/KEY|SECRET|TOKEN|PASSWORD/i);
    }
  });

  it("sends output lines to the logger and keeps the last 64", async () => {
    const env = tempEnv();
    const log = recordingLogger();
    const sc = fixtureSidecar(env, "ready.mjs", { extraArgs: ["--lines", "100"], logger: log });
    await sc.spawn();
    expect((await sc.waitReady(undefined, LONG)).ok).toBe(true);
    const out = () => log.entries.filter((e) => e.msg === "sidecar output");
    await expect.poll(() => out().length, { timeout: 10_000, interval: 20 }).toBe(100);
    // stdout and stderr interleave in arrival order; the ring holds the last 64 of that order
    expect(sc.recentOutput()).toEqual(out().slice(-64).map((e) => e.obj.line));
    expect(new Set(out().map((e) => e.obj.line))).toEqual(new Set(Array.from({ length: 100 }, (_, i) => `line ${i}`)));
    expect(out().find((e) => e.obj.line === "line 1")?.obj.stream).toBe("stderr");
    expect(out().find((e) => e.obj.line === "line 2")?.obj.stream).toBe("stdout");
  });
});

describe("attachPolicy", () => {
  it("answers ok with the health of a running sidecar, and never spawns", async () => {
    const env = tempEnv();
    expect(await attachPolicy(env.socketPath)).toMatchObject({ ok: false, class: "unavailable" });
    expect(existsSync(env.socketPath)).toBe(false);
    const sc = fixtureSidecar(env, "ready.mjs");
    await sc.spawn();
    const r: ReadyResult = await sc.waitReady(undefined, LONG);
    expect(r.ok).toBe(true);
    expect(await attachPolicy(env.socketPath)).toMatchObject({ ok: true, health: { ready: true, pid: sc.pid } });
  });

  it("classifies a hung socket as timeout within its ceiling", async () => {
    const env = tempEnv();
    const { createServer: netServer } = await import("node:net");
    const hung = netServer(() => undefined); // accepts, never answers
    const path = join(env.dir, "hung.sock");
    await new Promise<void>((r) => hung.listen(path, r));
    onCleanup(() => {
      hung.close();
    });
    expect(await attachPolicy(path, 200)).toMatchObject({ ok: false, class: "timeout" });
  });
});
