import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXAMPLES, REPO, TLM, installBundle, jsonLines, killAll, removeTmp, request, shortTmp, startDaemon, WAIT, writeConfig, type DaemonProc } from "./helpers";
import { parseProm, value } from "./prom";

const run = promisify(execFile);

// Serve-with-warning (docs/status.md): a bundle past its expires_at keeps being served, and says so.
describe("an installed bundle expires while recalld serves it", () => {
  let dir: string;
  let control: string;
  let config: string;
  let daemon: DaemonProc;
  let tlmPid = 0;
  let expiresAt = "";

  beforeAll(async () => {
    dir = await shortTmp("rde-");
    control = join(dir, "s", "daemon.sock");
    // a short life: long enough to install and start on a loaded machine, short enough to wait for
    await run(process.execPath, [TLM, "bundle", "build", "--from", EXAMPLES, "--out", join(dir, "pub"), "--bundle-id", "20261126T080000Z", "--expires-in", "30s"]);
    await installBundle(join(dir, "pub"), join(dir, "root"));
    config = await writeConfig(join(dir, "config.yaml"), { provider: "local", socket_path: join(dir, "s", "memory.sock"), bundle_root: join(dir, "root"), sidecar_shutdown_grace: "2s" });
    daemon = startDaemon(["--config", config], {}, control);
  });
  afterAll(async () => {
    await killAll(tlmPid ? [tlmPid] : []);
    await removeTmp(dir);
  });

  it("before expiry: ready, expires_at shown, not expired", async () => {
    const s = await vi.waitFor(async () => {
      const st = await daemon.status();
      const b = st.bundle as { expires_at: string | null };
      expect(st.status, "ready with bundle info").toBe("ready");
      expect(b.expires_at, "ready with bundle info").toBeTruthy();
      return st;
    }, WAIT);
    tlmPid = (s.sidecar as { pid: number }).pid;
    const b = s.bundle as { expires_at: string; expired: boolean };
    expiresAt = b.expires_at;
    // on a very loaded machine start-up can outlast the bundle's life: then only the next test applies
    if (Date.parse(expiresAt) > Date.now() + 2000) {
      expect(b.expired).toBe(false);
      expect((s.detail as Record<string, unknown>).bundle_expired).toBeUndefined();
    } else {
      expect(typeof b.expired).toBe("boolean");
    }
  });

  it("after expiry, with no pull at all: still ready and answering, /status + audit + metric + recall status say expired", { timeout: 180_000 }, async () => {
    const s = await vi.waitFor(async () => {
      const st = await daemon.status();
      expect((st.bundle as { expired: boolean }).expired, "expired in /status").toBe(true);
      return st;
    }, { ...WAIT, timeout: 90_000 });
    expect(s).toMatchObject({ status: "ready", reason: null, bundle: { bundle_id: "20261126T080000Z", expires_at: expiresAt, expired: true }, detail: { bundle_expired: true, expires_at: expiresAt } });
    const q = await request(control, "POST", "/query", JSON.stringify({ text: "database migration", limit: 2 }));
    expect((q.json() as { class: string }).class).toBe("ok");
    await expect
      .poll(() => jsonLines(daemon.stdout).some((l) => l.audit === true && l.event === "memory_bundle_expired"), { ...WAIT, message: "the audit line" })
      .toBe(true);
    const audits = jsonLines(daemon.stdout).filter((l) => l.event === "memory_bundle_expired");
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ bundle_id: "20261126T080000Z", expires_at: expiresAt });
    expect(jsonLines(daemon.stdout).some((l) => l.level === 40 && String(l.msg).includes("memory bundle expired"))).toBe(true);
    const metrics = parseProm((await request(control, "GET", "/metrics")).body);
    expect(value(metrics, "recall_bundle_expired")).toBe(1);
    const cli = await run(process.execPath, [join(REPO, "apps/cli/bin/recall.js"), "status", "--config", config], { env: { ...process.env, NO_COLOR: "1" } }).catch((e: { stdout: string }) => e);
    expect(cli.stdout).toMatch(/expiry\s+expired .*still served/);
    // more status reads do not repeat the event
    for (let i = 0; i < 3; i++) await daemon.status();
    expect(jsonLines(daemon.stdout).filter((l) => l.event === "memory_bundle_expired")).toHaveLength(1);
  });
});
