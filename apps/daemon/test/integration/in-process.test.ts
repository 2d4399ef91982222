import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runDaemon } from "../../src/run";
import {
  alive, buildBundle, installBundle, jsonLines, killAll, removeTmp, request, shortTmp, startDaemon, WAIT, writeConfig,
} from "./helpers";

const KEY = "rk-inproc-77aa31e0c5d94b2f";

function sink(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
}

describe("runDaemon: fatal errors and a SIGKILLed daemon", () => {
  let dir: string;
  let config: string;
  let control: string;
  let sock: string;
  const strays: number[] = [];

  beforeAll(async () => {
    dir = await shortTmp();
    control = join(dir, "s", "daemon.sock");
    sock = join(dir, "s", "memory.sock");
    await buildBundle(join(dir, "pub"), "20261126T080000Z");
    await installBundle(join(dir, "pub"), join(dir, "root"));
    config = await writeConfig(join(dir, "config.yaml"), { provider: "local", socket_path: sock, bundle_root: join(dir, "root") });
  });

  afterAll(async () => {
    await killAll(strays);
    await removeTmp(dir);
  });

  it("an uncaught error is logged (key scrubbed), stops gracefully and exits 1", async () => {
    const signals = new EventEmitter();
    const logs: string[] = [];
    const stderr: string[] = [];
    const done = runDaemon(["--config", config], {
      env: { ...process.env, RECALL_MEMORY_API_KEY: KEY }, signals: signals as never, logStream: sink(logs), stdout: sink([]), stderr: sink(stderr),
    });
    const status = await vi.waitFor(async () => {
      const s = (await request(control, "GET", "/status")).json() as { status: string; sidecar: { pid: number } };
      expect(s.status, "ready").toBe("ready");
      return s;
    }, WAIT);
    strays.push(status.sidecar.pid);
    signals.emit("uncaughtException", new Error(`exploded while holding ${KEY}`));
    expect(await done).toBe(1);
    const lines = jsonLines(logs);
    const fatal = lines.find((l) => l.msg === "uncaught exception");
    expect(fatal).toBeDefined();
    expect(JSON.stringify(fatal)).toContain("exploded while holding [REDACTED]");
    for (const l of [...logs, ...stderr]) expect(l).not.toContain(KEY);
    expect(existsSync(control)).toBe(false);
    await expect.poll(() => alive(status.sidecar.pid), { ...WAIT, timeout: 10_000, message: "tlm to be gone" }).toBe(false);
    expect(signals.listenerCount("SIGTERM")).toBe(0);
  });

  it("after a SIGKILL the sidecar exits by itself and the next daemon replaces the stale control socket", async () => {
    const first = startDaemon(["--config", config], {}, control);
    const s = await vi.waitFor(async () => {
      const st = (await first.status()) as { status: string; sidecar: { pid: number } };
      expect(st.status, "ready").toBe("ready");
      return st;
    }, WAIT);
    strays.push(s.sidecar.pid);
    first.child.kill("SIGKILL");
    await first.exited;
    expect(existsSync(control)).toBe(true);
    await expect.poll(() => alive(s.sidecar.pid), { ...WAIT, timeout: 15_000, message: "the orphaned tlm to exit by itself" }).toBe(false);

    const second = startDaemon(["--config", config], {}, control);
    await expect.poll(async () => (await second.status()).status, { ...WAIT, message: "the second daemon ready" }).toBe("ready");
    expect(jsonLines(second.stdout).some((l) => l.msg === "removing stale control socket")).toBe(true);
    second.child.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
  });
});
