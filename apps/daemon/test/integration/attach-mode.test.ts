import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startBundleEndpoint, type BundleEndpoint } from "@recall/test-utils";
import {
  TLM, alive, buildBundle, killAll, removeTmp, request, shortTmp, startDaemon, WAIT, writeConfig,
  type DaemonProc,
} from "./helpers";

const BUNDLE = "20261126T080000Z";
const KEY = "rk-attach-4f0d9e8c7b6a5d4c";

// The Kubernetes topology of deploy/k8s: tlm runs on its own (no bundle yet), recalld --attach in
// cloud mode pulls the first bundle into the shared bundle root and tells tlm to reload it.
describe("recalld --attach (cloud) to a tlm it did not start", () => {
  let dir: string;
  let sock: string;
  let control: string;
  let tlm: ChildProcess;
  let server: BundleEndpoint;
  let daemon: DaemonProc;

  beforeAll(async () => {
    dir = await shortTmp();
    sock = join(dir, "s", "memory.sock");
    control = join(dir, "s", "daemon.sock");
    const root = join(dir, "root");
    await buildBundle(join(dir, "pub"), BUNDLE);
    server = await startBundleEndpoint({ dir: join(dir, "pub"), apiKey: KEY });
    const endpoint = server.url;
    tlm = execa(process.execPath, [TLM, "serve", "--socket", sock, "--bundle-root", root], { stdio: "ignore", cleanup: true, reject: false });
    const health = await vi.waitFor(async () => {
      const r = await request(sock, "GET", "/health");
      expect(r.status, "tlm health").toBe(200);
      return r.json() as { compatibility: string };
    }, WAIT);
    expect(health.compatibility).toBe("unknown");
    const config = await writeConfig(join(dir, "config.yaml"), {
      provider: "cloud", endpoint, socket_path: sock, bundle_root: root, bundle_pull_startup_delay: "1h",
    });
    daemon = startDaemon(["--attach", "--config", config], { RECALL_MEMORY_API_KEY: KEY }, control);
  });

  afterAll(async () => {
    await killAll();
    if (tlm && tlm.exitCode === null && tlm.signalCode === null) {
      const gone = new Promise((r) => tlm.once("exit", r));
      tlm.kill("SIGKILL");
      await gone;
    }
    await server?.close();
    await removeTmp(dir);
  });

  it("bootstraps the bundle into the shared root, the sidecar serves it, and queries go through", async () => {
    const s = await vi.waitFor(async () => {
      const st = await daemon.status();
      expect(st.status, "status ready").toBe("ready");
      return st;
    }, WAIT);
    expect(s).toMatchObject({ mode: "attach", provider: "cloud", bundle: { bundle_id: BUNDLE } });
    expect((s.sidecar as { pid: number }).pid).toBe(tlm.pid);
    const health = (await request(sock, "GET", "/health")).json();
    expect(health).toMatchObject({ ready: true, bundle_id: BUNDLE });
    const r = await request(control, "POST", "/query", JSON.stringify({ text: "kafka partitions" }));
    expect(r.json()).toMatchObject({ class: "ok", envelope: { source: "sidecar", bundle_id: BUNDLE } });
  });

  it("SIGTERM stops recalld only: the sidecar it did not start keeps serving; no log line carried the key", async () => {
    daemon.child.kill("SIGTERM");
    expect((await daemon.exited).code).toBe(0);
    expect(existsSync(control)).toBe(false);
    expect(alive(tlm.pid!)).toBe(true);
    expect((await request(sock, "GET", "/health")).status).toBe(200);
    for (const line of [...daemon.stdout, ...daemon.stderr]) expect(line).not.toContain(KEY);
  });
});
