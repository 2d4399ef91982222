import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  alive, buildBundle, installBundle, jsonLines, killAll, removeTmp, request, shortTmp, startDaemon, WAIT, writeConfig,
  type DaemonProc,
} from "./helpers";
import { parseProm, value } from "./prom";

const FIRST = "20261126T080000Z";
const SECOND = "20261127T080000Z";

describe("recalld in local mode, spawning the real tlm", () => {
  let dir: string;
  let sock: string;
  let control: string;
  let root: string;
  let config: string;
  let daemon: DaemonProc;
  let tlmPid = 0;

  beforeAll(async () => {
    dir = await shortTmp();
    sock = join(dir, "s", "memory.sock");
    control = join(dir, "s", "daemon.sock");
    root = join(dir, "root");
    await buildBundle(join(dir, "pub1"), FIRST);
    await buildBundle(join(dir, "pub2"), SECOND);
    await installBundle(join(dir, "pub1"), root);
    config = await writeConfig(join(dir, "config.yaml"), {
      provider: "local", socket_path: sock, bundle_root: root, sidecar_shutdown_grace: "2s",
    });
    daemon = startDaemon(["--config", config], {}, control);
  });

  afterAll(async () => {
    await killAll(tlmPid ? [tlmPid] : []);
    await removeTmp(dir);
  });

  it("serves /status ready with the installed bundle, on a 0600 control socket", async () => {
    const s = await vi.waitFor(async () => {
      const st = await daemon.status();
      expect(st.status, "status ready").toBe("ready");
      return st;
    }, WAIT);
    expect(s).toMatchObject({
      provider: "local", mode: "spawn", status: "ready", reason: null,
      bundle: { bundle_id: FIRST, schema_version: "1.0.0" },
    });
    expect(typeof (s.version as string)).toBe("string");
    const sidecar = s.sidecar as { pid: number; restarts: number; ready_since: string };
    expect(sidecar.pid).toBeGreaterThan(0);
    expect(sidecar.restarts).toBe(0);
    expect(Number.isNaN(Date.parse(sidecar.ready_since))).toBe(false);
    tlmPid = sidecar.pid;
    expect(alive(tlmPid)).toBe(true);
    expect((await stat(control)).mode & 0o777).toBe(0o600);
  });

  it("logs JSON lines on stdout, including the start and the status change", () => {
    const logs = jsonLines(daemon.stdout);
    expect(logs.length).toBe(daemon.stdout.filter(Boolean).length);
    expect(logs.some((l) => l.msg === "recalld starting" && l.provider === "local")).toBe(true);
    expect(logs.some((l) => l.status === "ready" && l.msg === "memory status")).toBe(true);
    for (const l of daemon.stdout) expect(l.match(/"pid":/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it("answers POST /query through the service, and counts it by class", async () => {
    const r = await request(control, "POST", "/query", JSON.stringify({ text: "database migration", limit: 3 }));
    expect(r.status).toBe(200);
    const body = r.json() as { class: string; envelope: { source: string; bundle_id: string; results: unknown[] } };
    expect(body.class).toBe("ok");
    expect(body.envelope).toMatchObject({ source: "sidecar", bundle_id: FIRST });
    expect(body.envelope.results.length).toBeGreaterThan(0);
    const bad = await request(control, "POST", "/query", JSON.stringify({ text: "" }));
    expect((bad.json() as { class: string }).class).toBe("bad_request");
  });

  it("exposes every metric on /metrics as valid Prometheus text", async () => {
    const r = await request(control, "GET", "/metrics");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseProm(r.body);
    expect(value(samples, "recall_daemon_status", { status: "ready" })).toBe(1);
    expect(value(samples, "recall_daemon_status", { status: "degraded" })).toBe(0);
    expect(value(samples, "recall_sidecar_restarts_total")).toBe(0);
    expect(value(samples, "recall_bundle_info", { bundle_id: FIRST, schema_version: "1.0.0" })).toBe(1);
    expect(value(samples, "recall_query_duration_seconds_count", { class: "ok" })).toBeGreaterThanOrEqual(1);
    expect(value(samples, "recall_query_duration_seconds_count", { class: "bad_request" })).toBeGreaterThanOrEqual(1);
    expect(value(samples, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    for (const name of ["recall_pulls_total", "recall_pull_duration_seconds", "recall_pull_bytes_total"]) {
      expect(r.body).toContain(`# TYPE ${name} `);
    }
  });

  it("POST /pull re-reads current (local) and waits for the outcome", async () => {
    const r = await request(control, "POST", "/pull");
    const why = `${r.status} ${r.body}\n${daemon.stdout.slice(-15).join("\n")}`;
    expect(r.status, why).toBe(200);
    expect(r.json(), why).toMatchObject({ outcome: { outcome: "reloaded", bundle_id: FIRST } });
    const samples = parseProm((await request(control, "GET", "/metrics")).body);
    expect(value(samples, "recall_pulls_total", { outcome: "reloaded" })).toBeGreaterThanOrEqual(1);
  });

  it("SIGHUP re-reads current: a newly installed bundle is served", async () => {
    await installBundle(join(dir, "pub2"), root);
    daemon.child.kill("SIGHUP");
    const line = await vi.waitFor(() => {
      const l = jsonLines(daemon.stdout).find((l) => l.msg === "pull finished" && l.via === "SIGHUP");
      expect(l, "the SIGHUP pull to finish").toBeDefined();
      return l;
    }, WAIT);
    expect(line).toMatchObject({ outcome: "reloaded" });
    await expect
      .poll(async () => ((await daemon.status()).bundle as { bundle_id: string }).bundle_id, { ...WAIT, message: "the second bundle in /status" })
      .toBe(SECOND);
  });

  it("a second recalld on the same sockets refuses to start, naming the socket and the pid", async () => {
    const second = startDaemon(["--config", config]);
    const { code } = await second.exited;
    expect(code).toBe(1);
    const err = second.stderr.join("\n");
    expect(err).toContain(control);
    expect(err).toContain(`pid ${daemon.child.pid}`);
    // The first one is untouched.
    expect((await daemon.status()).status).toBe("ready");
    expect(alive(tlmPid)).toBe(true);
  });

  it("SIGTERM stops gracefully: exit 0, sockets removed, tlm gone", async () => {
    daemon.child.kill("SIGTERM");
    const { code, signal } = await daemon.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(existsSync(control)).toBe(false);
    expect(existsSync(sock)).toBe(false);
    await expect.poll(() => alive(tlmPid), { ...WAIT, timeout: 10_000, message: "tlm to be gone" }).toBe(false);
    expect(jsonLines(daemon.stdout).some((l) => l.msg === "recalld stopped")).toBe(true);
  });
});
