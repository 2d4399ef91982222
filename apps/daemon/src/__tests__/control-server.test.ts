import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ControlServer, PID_HEADER, probeControlSocket, type ControlTarget } from "../control-server";
import { DaemonError } from "../errors";
import { DaemonMetrics } from "../metrics";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

function request(socketPath: string, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function fakeTarget(): ControlTarget & { queries: unknown[]; releasePull: (v: unknown) => void; pulls: number } {
  let release: (v: unknown) => void = () => undefined;
  const t = {
    queries: [] as unknown[],
    pulls: 0,
    releasePull: (v: unknown) => release(v),
    snapshot: () => ({ status: "ready", sidecar: { restarts: 0 }, bundle: { bundle_id: "b1", schema_version: "1.0.0" } }),
    pullNow: () => {
      t.pulls++;
      return new Promise<unknown>((r) => (release = r));
    },
    query: async (intent: never) => {
      t.queries.push(intent);
      return { class: "ok", envelope: { results: [] } };
    },
  };
  return t;
}

let dir: string;
const servers: ControlServer[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "rd-"));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

function server(target: ControlTarget, socketPath = join(dir, "daemon.sock"), pid?: number): ControlServer {
  const metrics = new DaemonMetrics({ defaultMetrics: false, snapshot: target.snapshot as never });
  const s = new ControlServer({ socketPath, target, metrics, logger: silent, ...(pid === undefined ? {} : { pid }) });
  servers.push(s);
  return s;
}

describe("ControlServer", () => {
  it("serves /status as JSON on a 0600 socket, with the daemon's pid", async () => {
    const s = server(fakeTarget());
    await s.listen();
    expect((await stat(s.socketPath)).mode & 0o777).toBe(0o600);
    const r = await request(s.socketPath, "GET", "/status");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers[PID_HEADER]).toBe(String(process.pid));
    expect(JSON.parse(r.body)).toMatchObject({ status: "ready", bundle: { bundle_id: "b1" } });
  });

  it("serves /metrics as Prometheus text", async () => {
    const s = server(fakeTarget());
    await s.listen();
    const r = await request(s.socketPath, "GET", "/metrics");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/plain/);
    expect(r.body).toContain('recall_daemon_status{status="ready"} 1');
  });

  it("answers POST /pull only once the pull has finished, with its outcome", async () => {
    const t = fakeTarget();
    const s = server(t);
    await s.listen();
    let answered = false;
    const pending = request(s.socketPath, "POST", "/pull").then((r) => ((answered = true), r));
    await expect.poll(() => t.pulls, { timeout: 10_000 }).toBe(1);
    expect(answered).toBe(false);
    t.releasePull({ outcome: "installed", bundle_id: "b2", schema_version: "1.0.0" });
    const r = await pending;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ outcome: { outcome: "installed", bundle_id: "b2", schema_version: "1.0.0" } });
  });

  it("passes POST /query bodies to the service and rejects bad JSON or huge bodies", async () => {
    const t = fakeTarget();
    const s = server(t);
    await s.listen();
    const ok = await request(s.socketPath, "POST", "/query", JSON.stringify({ text: "tabs or spaces" }));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ class: "ok" });
    expect(t.queries).toEqual([{ text: "tabs or spaces" }]);
    const bad = await request(s.socketPath, "POST", "/query", "{nope");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: "bad_request" } });
    const notObject = await request(s.socketPath, "POST", "/query", "null");
    expect(notObject.status).toBe(400);
    const huge = await request(s.socketPath, "POST", "/query", JSON.stringify({ text: "x".repeat(70_000) }));
    expect(huge.status).toBe(413);
    expect(t.queries).toHaveLength(1);
  });

  it("answers unknown paths with 404 and wrong methods with 405 and Allow, as ErrorBody", async () => {
    const s = server(fakeTarget());
    await s.listen();
    const nf = await request(s.socketPath, "GET", "/nope");
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.body)).toMatchObject({ error: { code: "not_found" } });
    const na = await request(s.socketPath, "GET", "/pull");
    expect(na.status).toBe(405);
    expect(na.headers.allow).toBe("POST");
    expect(JSON.parse(na.body)).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  it("refuses to bind while another daemon answers, naming the socket and its pid", async () => {
    const first = server(fakeTarget(), undefined, 4242);
    await first.listen();
    const second = server(fakeTarget());
    const err = await second.listen().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonError);
    expect(err).toMatchObject({ code: "DAEMON_ALREADY_RUNNING", pid: 4242, socketPath: first.socketPath });
    expect((err as Error).message).toContain(first.socketPath);
    expect((err as Error).message).toContain("4242");
    // The first daemon is untouched.
    expect((await request(first.socketPath, "GET", "/status")).status).toBe(200);
  });

  it("removes a stale socket left by a killed process, then serves", async () => {
    const path = join(dir, "daemon.sock");
    const child = execa(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"], buffer: false, cleanup: true, reject: false });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", () => resolve());
        child.on("exit", () => reject(new Error("listener exited early")));
      });
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    expect(await probeControlSocket(path)).toEqual({ state: "stale" });
    const s = server(fakeTarget(), path);
    await s.listen();
    expect((await request(path, "GET", "/status")).status).toBe(200);
  });

  it("refuses a path that is not a socket, and unlinks its socket on close (idempotent)", async () => {
    const file = join(dir, "daemon.sock");
    await writeFile(file, "not a socket");
    const err = await server(fakeTarget(), file).listen().then(() => null, (e: unknown) => e);
    expect(err).toMatchObject({ code: "DAEMON_CONTROL_SOCKET" });
    await rm(file);

    const s = server(fakeTarget(), file);
    await s.listen();
    expect(await probeControlSocket(file)).toEqual({ state: "live", pid: process.pid });
    await s.close();
    await s.close();
    expect(await probeControlSocket(file)).toEqual({ state: "absent" });
  });
});
