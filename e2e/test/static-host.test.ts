import { accessSync, constants, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { SidecarClient } from "@recall/client";
import { publishBundle } from "@recall/test-utils";
import { API_KEY, Daemon, Sandbox, bundleId, filesContaining, killGroup, writeConfig, type Proc } from "../src/harness";
import { buildMarkedBundle } from "../src/bundles";

// Real static host: a stock nginx from Debian's packages serves a publish
// directory laid out as docs/endpoint.md says (the stand-in for S3 or a CDN). recalld
// bootstraps from it, gets a 304 on the next pull, and installs the next bundle.
// nginx is a system dependency of the suite, installed by .ci/run (never by a test).

/** The nginx binary on PATH (or in /usr/sbin, where Debian puts it), or null. */
function findNginx(): string | null {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    const bin = path.join(dir, "nginx");
    try {
      accessSync(bin, constants.X_OK);
      return bin;
    } catch {
      // not here
    }
  }
  return null;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe("a stock nginx as the bundle endpoint", () => {
  let sb: Sandbox;
  let nginx: Proc | undefined;
  let daemon: Daemon | undefined;
  let client: SidecarClient | undefined;
  const nginxBin = findNginx();

  beforeAll(async () => {
    sb = await Sandbox.create("ng");
  });
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
    if (nginx) {
      // graceful stop of master and workers; what is left of the group is killed by hand
      nginx.child.kill("SIGQUIT");
      await Promise.race([nginx.exited, new Promise((r) => setTimeout(r, 5000))]);
      killGroup(nginx.pid, "SIGKILL");
    }
    await sb?.cleanup();
  });

  it("bootstraps, gets 304, then installs the next bundle", async (ctx) => {
    if (!nginxBin) {
      if (process.env.RECALL_E2E_NO_NGINX === "1") ctx.skip("RECALL_E2E_NO_NGINX=1: the nginx static-host suite is skipped");
      throw new Error(
        "nginx is not installed: the static-host suite needs it. Install the suite's system packages with .ci/run " +
          "(it installs nginx, libarchive-tools and golang-go), or set RECALL_E2E_NO_NGINX=1 to skip this suite knowingly.",
      );
    }
    const www = sb.path("www");
    // The publisher's side: the same two files any static host would get.
    // publishBundle: an atomic upload, archive first, manifest last
    publishBundle((await buildMarkedBundle(sb.path("pub"), bundleId(0))).dir, www);

    const port = await freePort();
    const conf = sb.path("nginx.conf");
    const tmp = sb.path("nginx-tmp");
    writeFileSync(
      conf,
      `user root;
worker_processes 1;
daemon off;
pid ${sb.path("nginx.pid")};
error_log ${sb.path("logs", "nginx-error.log")} warn;
events { worker_connections 64; }
http {
  access_log ${sb.path("logs", "nginx-access.log")};
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
  types { application/json json; application/gzip gz; }
  server {
    listen 127.0.0.1:${port};
    location = /api/v1/memory/bundle/manifest { default_type application/json; alias ${www}/manifest.json; }
    location /api/v1/memory/bundle/ { alias ${www}/; }
  }
}
`,
    );
    mkdirSync(tmp, { recursive: true });
    mkdirSync(sb.path("logs"), { recursive: true });
    // its own process group: the master forks a worker, and cleanup must reach both
    nginx = sb.start("nginx", nginxBin, ["-c", conf, "-p", sb.dir], {}, { detached: true });
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/api/v1/memory/bundle/manifest`)).status, "nginx serving the manifest").toBe(200), { timeout: 20_000, interval: 25 });

    const cfg = writeConfig(sb, { provider: "cloud", endpoint: `http://127.0.0.1:${port}`, api_key: API_KEY, bundle_pull_startup_delay: "1h" });
    daemon = Daemon.start(sb, cfg);
    await daemon.waitStatus((s) => s.status === "ready" && s.bundle.bundle_id === bundleId(0), "bootstrapped from nginx");

    const again = await daemon.pull();
    expect(again.outcome.outcome).toBe("unchanged");
    const access = () => readFileSync(sb.path("logs", "nginx-access.log"), "utf8");
    await expect.poll(access, { timeout: 10_000, interval: 25, message: "a 304 in nginx's access log" }).toMatch(/GET \/api\/v1\/memory\/bundle\/manifest HTTP\/1\.1" 304/);

    publishBundle((await buildMarkedBundle(sb.path("pub"), bundleId(1))).dir, www);
    // nginx's ETag is "<mtime in seconds>-<size>": two manifests of the same size published within
    // one second share it (and get a 304). Real publishes are hours apart; say this one is a minute later.
    const later = new Date(Date.now() + 60_000);
    utimesSync(`${www}/manifest.json`, later, later);
    const next = await daemon.pull();
    expect(next.outcome).toMatchObject({ outcome: "installed", bundle_id: bundleId(1) });
    await daemon.waitStatus((s) => s.bundle.bundle_id === bundleId(1), "next bundle installed");
    client = new SidecarClient({ socketPath: cfg.socketPath, requestTimeoutMs: 2000 });
    await vi.waitFor(async () => {
      const q = await client!.query({ text: "zebracorn marker", limit: 1 });
      expect(q.class === "ok" && q.value.results[0]?.id, "the sidecar answering from the new bundle").toBe(`marker-${bundleId(1)}`);
    }, { timeout: 20_000, interval: 25 });

    expect(access()).toMatch(/GET \/api\/v1\/memory\/bundle\/bundle-20261126T080001Z\.tar\.gz HTTP\/1\.1" 200/);
    expect((await daemon.stop()).code).toBe(0);
    daemon = undefined;
    expect(await filesContaining(sb.dir, API_KEY, (p) => p === cfg.file)).toEqual([]);
  });
});
