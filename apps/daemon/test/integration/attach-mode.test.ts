import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TLM, alive, buildBundle, installBundle, killAll, removeTmp, request, shortTmp, startDaemon, waitFor, writeConfig,
  type DaemonProc,
} from "./helpers";

const BUNDLE = "20261126T080000Z";

describe("recalld --attach to a tlm it did not start", () => {
  let dir: string;
  let sock: string;
  let control: string;
  let tlm: ChildProcess;
  let daemon: DaemonProc;

  beforeAll(async () => {
    dir = await shortTmp();
    sock = join(dir, "s", "memory.sock");
    control = join(dir, "s", "daemon.sock");
    const root = join(dir, "root");
    await buildBundle(join(dir, "pub"), BUNDLE);
    await installBundle(join(dir, "pub"), root);
    tlm = spawn(process.execPath, [TLM, "serve", "--socket", sock, "--bundle-root", root], { stdio: "ignore" });
    await waitFor("tlm health", async () => (await request(sock, "GET", "/health")).status === 200);
    const config = await writeConfig(join(dir, "config.yaml"), { provider: "local", socket_path: sock, bundle_root: root });
    daemon = startDaemon(["--attach", "--config", config], {}, control);
  });

  afterAll(async () => {
    await killAll();
    if (tlm && tlm.exitCode === null && tlm.signalCode === null) {
      const gone = new Promise((r) => tlm.once("exit", r));
      tlm.kill("SIGKILL");
      await gone;
    }
    await removeTmp(dir);
  });

  it("is ready in attach mode and queries go through", async () => {
    const s = await waitFor("status ready", async () => {
      const st = await daemon.status();
      return st.status === "ready" ? st : undefined;
    });
    expect(s).toMatchObject({ mode: "attach", provider: "local", bundle: { bundle_id: BUNDLE } });
    const r = await request(control, "POST", "/query", JSON.stringify({ text: "kafka partitions" }));
    expect(r.json()).toMatchObject({ class: "ok", envelope: { source: "sidecar" } });
  });

  it("SIGTERM stops recalld only: the sidecar it did not start keeps serving", async () => {
    daemon.child.kill("SIGTERM");
    expect((await daemon.exited).code).toBe(0);
    expect(existsSync(control)).toBe(false);
    expect(alive(tlm.pid!)).toBe(true);
    expect((await request(sock, "GET", "/health")).status).toBe(200);
  });
});
