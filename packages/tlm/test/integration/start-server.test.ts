import { afterEach, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { SocketInUseError, startServer, type TlmServer } from "../../dist/index.js";
import { call, exampleRecords, installBundle, query, tempDir } from "./harness";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe("startServer (programmatic)", () => {
  it("serves, reloads, refuses a second server on the socket and closes cleanly", async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const root = join(dir, "root");
    const events: string[] = [];
    const logger = { debug() {}, info: (o: object) => events.push(String((o as { event?: string }).event)), warn() {}, error() {} };
    const server: TlmServer = await startServer({ socketPath: join(dir, "s.sock"), bundleRoot: root, pollIntervalMs: 0, logger });
    cleanups.push(() => server.close());
    expect(server.address).toBe(join(dir, "s.sock"));
    expect(server.health()).toMatchObject({ compatibility: "unknown", ready: false });
    expect((await query(server.address, { text: "kafka" })).status).toBe(503);

    await installBundle(root, "b1", await exampleRecords());
    expect(await server.reload()).toEqual({ status: 200, body: { bundle_id: "b1", changed: true } });
    const a = await query(server.address, { text: "kafka partitions", limit: 1 });
    expect(a.json().results[0].id).toBe("mem-004");

    await expect(startServer({ socketPath: server.address, bundleRoot: root, pollIntervalMs: 0 })).rejects.toBeInstanceOf(SocketInUseError);
    expect((await call(server.address, "GET", "/health")).status).toBe(200);

    await server.close();
    await server.close();
    expect(existsSync(server.address)).toBe(false);
    expect(events).toEqual(expect.arrayContaining(["listening", "bundle_loaded", "stopped"]));
  });
});
