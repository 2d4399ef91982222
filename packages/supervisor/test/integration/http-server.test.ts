import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Supervisor, type DegradedReason, type ExitInfo } from "@recall/supervisor";
import { httpSocketSpawner } from "../fixtures/http-spawner";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

function healthPid(socketPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: "/health" }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve((JSON.parse(body) as { pid: number }).pid));
    })
      .on("error", reject)
      .end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (_e) {
    return false;
  }
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tmpSocket(): string {
  const dir = mkdtempSync(join(tmpdir(), "sup-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "s.sock");
}

describe("Supervisor with the README example spawner and a real node:http server", () => {
  it("restarts a SIGKILLed server and stops it cleanly", async () => {
    const socketPath = tmpSocket();
    const readyPids: number[] = [];
    const exits: ExitInfo[] = [];
    const sup = new Supervisor(httpSocketSpawner(fixture("http-server.mjs"), socketPath), {
      backoff: { initialMs: 10, maxMs: 100, jitter: 0 },
      readyTimeoutMs: 20_000,
      onReady: () => {
        void healthPid(socketPath).then((pid) => readyPids.push(pid));
      },
      onExit: (e) => void exits.push(e),
    });
    const ac = new AbortController();
    const run = sup.run(ac.signal);
    cleanups.push(async () => {
      ac.abort();
      await run;
    });

    await vi.waitFor(() => expect(readyPids).toHaveLength(1), { timeout: 20_000, interval: 20 });
    const first = readyPids[0]!;
    process.kill(first, "SIGKILL");
    await vi.waitFor(() => expect(readyPids).toHaveLength(2), { timeout: 20_000, interval: 20 });
    expect(readyPids[1]).not.toBe(first);
    expect(exits).toEqual([{ code: null, signal: "SIGKILL" }]);
    expect(sup.snapshot()).toMatchObject({ state: "ready", restarts: 1, attempts: 1, lastReason: "repeated_crash" });

    ac.abort();
    expect(await run).toBe("stopped");
    expect(alive(readyPids[1]!)).toBe(false);
    expect(existsSync(socketPath)).toBe(false);
  });

  it("ends degraded as repeated_crash when the server dies at every start", async () => {
    const socketPath = tmpSocket();
    let degraded: [DegradedReason, number] | null = null;
    const sup = new Supervisor(httpSocketSpawner(fixture("crash-server.mjs"), socketPath), {
      maxAttempts: 3,
      backoff: { initialMs: 5, maxMs: 20, jitter: 0 },
      onDegraded: (r, a) => void (degraded = [r, a]),
    });
    expect(await sup.run(new AbortController().signal)).toBe("degraded");
    expect(degraded).toEqual(["repeated_crash", 3]);
    expect(sup.snapshot()).toMatchObject({ lastExit: { code: 3, signal: null }, restarts: 2 });
  });
});
