import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startBundleEndpoint, type BundleEndpoint } from "@recall/test-utils";
import {
  alive, buildBundle, jsonLines, killAll, removeTmp, request, shortTmp, startDaemon, WAIT, writeConfig,
  type DaemonProc,
} from "./helpers";
import { parseProm, value } from "./prom";

const KEY = "rk-test-9c4e1f77b2d84a1e";
const FIRST = "20261126T080000Z";
const SECOND = "20261128T080000Z";

describe("recalld in cloud mode against a docs/endpoint.md endpoint", () => {
  let dir: string;
  let server: BundleEndpoint;
  let control: string;
  let sock: string;
  let daemon: DaemonProc;
  let tlmPid = 0;

  beforeAll(async () => {
    dir = await shortTmp();
    await buildBundle(join(dir, "pub1"), FIRST);
    await buildBundle(join(dir, "pub2"), SECOND);
    server = await startBundleEndpoint({ dir: join(dir, "pub1"), apiKey: KEY });
    const endpoint = server.url;
    sock = join(dir, "s", "memory.sock");
    control = join(dir, "s", "daemon.sock");
    const config = await writeConfig(join(dir, "config.yaml"), {
      provider: "cloud", endpoint, socket_path: sock, bundle_root: join(dir, "root"),
      // The scheduled loop stays out of the way: only the bootstrap, POST /pull and SIGHUP pull.
      bundle_pull_startup_delay: "1h",
    });
    daemon = startDaemon(["--config", config, "--log-level", "debug"], { RECALL_MEMORY_API_KEY: KEY }, control);
  });

  afterAll(async () => {
    await killAll(tlmPid ? [tlmPid] : []);
    await server?.close();
    await removeTmp(dir);
  });

  it("bootstraps: pulls the published bundle before the sidecar starts, then is ready", async () => {
    const s = await vi.waitFor(async () => {
      const st = await daemon.status();
      expect(st.status, "status ready").toBe("ready");
      return st;
    }, WAIT);
    expect(s).toMatchObject({ provider: "cloud", bundle: { bundle_id: FIRST } });
    tlmPid = (s.sidecar as { pid: number }).pid;
    expect(server.manifestRequests().length).toBeGreaterThanOrEqual(1);
    expect(server.requests.every((r) => r.keyOk)).toBe(true);
    const audit = jsonLines(daemon.stdout).filter((l) => l.audit === true);
    expect(audit.map((l) => l.event)).toContain("memory_bootstrap_pull_ok");
  });

  it("POST /pull waits for the pull: unchanged, then installed once a new bundle is published", async () => {
    const same = await request(control, "POST", "/pull");
    expect(same.status).toBe(200);
    expect(same.json()).toEqual({ outcome: { outcome: "unchanged" } });

    server.serve(join(dir, "pub2"));
    const fresh = await request(control, "POST", "/pull");
    expect(fresh.json()).toEqual({ outcome: { outcome: "installed", bundle_id: SECOND, schema_version: "1.0.0" } });
    const s = await daemon.status();
    expect(s.bundle).toMatchObject({ bundle_id: SECOND });
    expect(s.last_pull).toMatchObject({ outcome: "installed" });

    const samples = parseProm((await request(control, "GET", "/metrics")).body);
    expect(value(samples, "recall_pulls_total", { outcome: "installed" })).toBeGreaterThanOrEqual(1);
    expect(value(samples, "recall_pulls_total", { outcome: "unchanged" })).toBeGreaterThanOrEqual(1);
    expect(value(samples, "recall_pull_bytes_total")).toBeGreaterThan(0);
    expect(value(samples, "recall_pull_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(value(samples, "recall_bundle_info", { bundle_id: SECOND })).toBe(1);
    const audit = jsonLines(daemon.stdout).filter((l) => l.audit === true);
    expect(audit.some((l) => l.event === "memory_bundle_installed" && l.bundle_id === SECOND)).toBe(true);
  });

  it("SIGHUP pulls now", async () => {
    const before = server.manifestRequests().length;
    daemon.child.kill("SIGHUP");
    await expect.poll(() => server.manifestRequests().length, { ...WAIT, message: "a manifest request after SIGHUP" }).toBeGreaterThan(before);
    await expect
      .poll(() => jsonLines(daemon.stdout).find((l) => l.msg === "pull finished" && l.via === "SIGHUP" && l.outcome === "unchanged"), {
        ...WAIT,
        message: "the SIGHUP pull to be logged",
      })
      .toBeTruthy();
  });

  it("never shows the API key: not in logs, /status, /metrics, nor the sidecar's environment", async () => {
    const status = await request(control, "GET", "/status");
    const metrics = await request(control, "GET", "/metrics");
    expect(status.body).not.toContain(KEY);
    expect(metrics.body).not.toContain(KEY);
    expect(readFileSync(`/proc/${tlmPid}/environ`, "utf8")).not.toContain(KEY);
    expect(readFileSync(`/proc/${tlmPid}/environ`, "utf8")).not.toContain("RECALL_MEMORY_API_KEY");
    // The tenant fingerprint is there instead.
    expect(existsSync(join(dir, "root", ".tenant_fingerprint"))).toBe(true);
  });

  it("SIGTERM: exit 0, no sockets, no tlm, and no line ever carried the key", async () => {
    daemon.child.kill("SIGTERM");
    expect((await daemon.exited).code).toBe(0);
    expect(existsSync(control)).toBe(false);
    expect(existsSync(sock)).toBe(false);
    await expect.poll(() => alive(tlmPid), { ...WAIT, timeout: 10_000, message: "tlm to be gone" }).toBe(false);
    expect(daemon.stdout.length).toBeGreaterThan(5);
    for (const line of [...daemon.stdout, ...daemon.stderr]) expect(line).not.toContain(KEY);
  });
});
