import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SidecarClient } from "@recall/client";
import { API_KEY, BundleHost, Daemon, Sandbox, bundleId, filesContaining, waitFor, writeConfig, type Proc } from "../src/harness";
import { buildMarkedBundle } from "../src/bundles";

// Real static host: a stock nginx from Debian's packages serves a publish
// directory laid out as SPEC §3.2 (the stand-in for S3 or a CDN). recalld
// bootstraps from it, gets a 304 on the next pull, and installs the next bundle.

/** nginx on PATH, installing it from Debian's packages when we are root and apt is there. */
function ensureNginx(): string | null {
  const which = () => spawnSync("sh", ["-c", "command -v nginx || ls /usr/sbin/nginx 2>/dev/null"], { encoding: "utf8" }).stdout.trim().split("\n")[0] || null;
  let bin = which();
  if (bin) return bin;
  if (process.getuid?.() !== 0 || spawnSync("sh", ["-c", "command -v apt-get"]).status !== 0) return null;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let r = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "nginx"], { env, stdio: "pipe", timeout: 300_000 });
  if (r.status !== 0) {
    spawnSync("apt-get", ["update", "-q"], { env, stdio: "pipe", timeout: 300_000 });
    r = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", "nginx"], { env, stdio: "pipe", timeout: 300_000 });
  }
  bin = which();
  return bin;
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
  const nginxBin = ensureNginx();

  beforeAll(async () => {
    sb = await Sandbox.create("ng");
  });
  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
    if (nginx && nginx.child.exitCode === null) {
      nginx.child.kill("SIGQUIT");
      await Promise.race([nginx.exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    await sb?.cleanup();
  });

  it("bootstraps, gets 304, then installs the next bundle", async (ctx) => {
    if (!nginxBin) ctx.skip("nginx is not installed and apt-get is unavailable (or not root): cannot run the static-host suite");
    const www = sb.path("www");
    // The publisher's side: the same two files any static host would get.
    const upload = new BundleHost(www); // used only for its atomic publish(): archive first, manifest last
    upload.publish((await buildMarkedBundle(sb.path("pub"), bundleId(0))).dir);

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
    nginx = sb.start("nginx", nginxBin!, ["-c", conf, "-p", sb.dir]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/v1/memory/bundle/manifest`)).status === 200, "nginx serving the manifest", 20_000);

    const cfg = writeConfig(sb, { provider: "cloud", endpoint: `http://127.0.0.1:${port}`, api_key: API_KEY, bundle_pull_startup_delay: "1h" });
    daemon = Daemon.start(sb, cfg);
    await daemon.waitStatus((s) => s.status === "ready" && s.bundle.bundle_id === bundleId(0), "bootstrapped from nginx");

    const again = await daemon.pull();
    expect(again.outcome.outcome).toBe("unchanged");
    const access = () => readFileSync(sb.path("logs", "nginx-access.log"), "utf8");
    await waitFor(() => /GET \/api\/v1\/memory\/bundle\/manifest HTTP\/1\.1" 304/.test(access()), "a 304 in nginx's access log", 10_000);

    upload.publish((await buildMarkedBundle(sb.path("pub"), bundleId(1))).dir);
    // nginx's ETag is "<mtime in seconds>-<size>": two manifests of the same size published within
    // one second share it (and get a 304). Real publishes are hours apart; say this one is a minute later.
    const later = new Date(Date.now() + 60_000);
    utimesSync(`${www}/manifest.json`, later, later);
    const next = await daemon.pull();
    expect(next.outcome).toMatchObject({ outcome: "installed", bundle_id: bundleId(1) });
    await daemon.waitStatus((s) => s.bundle.bundle_id === bundleId(1), "next bundle installed");
    client = new SidecarClient({ socketPath: cfg.socketPath, requestTimeoutMs: 2000 });
    await waitFor(async () => {
      const q = await client!.query({ text: "zebracorn marker", limit: 1 });
      return q.class === "ok" && q.value.results[0]?.id === `marker-${bundleId(1)}`;
    }, "the sidecar answering from the new bundle", 20_000);

    expect(access()).toMatch(/GET \/api\/v1\/memory\/bundle\/bundle-20261126T080001Z\.tar\.gz HTTP\/1\.1" 200/);
    expect((await daemon.stop()).code).toBe(0);
    daemon = undefined;
    expect(await filesContaining(sb.dir, API_KEY, (p) => p === cfg.file)).toEqual([]);
  });
});
