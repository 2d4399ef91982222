import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBundleEndpoint, type BundleEndpoint } from "@recall/test-utils";
import { API_KEY, Daemon, RECALL, RECALLD, Sandbox, bundleId, filesContaining, unixRequest, writeConfig } from "../src/harness";
import { buildMarkedBundle } from "../src/bundles";

// Secrets: the API key, given the way operators give it (environment), must
// not reach any log, audit event, /status, /metrics, CLI output, file other
// than the config, error message, or the sidecar's environment.
describe("the API key stays secret", () => {
  let sb: Sandbox;
  let host: BundleEndpoint;
  let daemon: Daemon;

  beforeAll(async () => {
    sb = await Sandbox.create("sk");
    host = await startBundleEndpoint({ dir: sb.path("www"), apiKey: API_KEY });
  });
  afterAll(async () => {
    await daemon?.stop();
    await host?.close();
    await sb?.cleanup();
  });

  it("appears nowhere but where the operator put it", async () => {
    host.publish((await buildMarkedBundle(sb.path("pub"), bundleId(0))).dir);
    const cfg = writeConfig(sb, { provider: "cloud", endpoint: host.url, bundle_pull_startup_delay: "1h" });
    const env = { RECALL_MEMORY_API_KEY: API_KEY, RECALL_CONFIG: cfg.file };
    daemon = new Daemon(sb.run("recalld", RECALLD, ["--log-level", "debug"], env), cfg.controlSocket, cfg.socketPath, cfg.bundleRoot);
    const status = await daemon.waitStatus((s) => s.status === "ready", "ready with the key from the environment");

    // The sidecar's environment carries no key and no RECALL_* variable.
    const environ = readFileSync(`/proc/${status.sidecar.pid}/environ`, "utf8").split("\0");
    expect(environ.filter((e) => e.includes(API_KEY) || e.startsWith("RECALL_"))).toEqual([]);

    // Every request the endpoint saw carried the key (same origin), so it was really used.
    expect(host.requests.length).toBeGreaterThan(0);
    expect(host.requests.every((r) => r.keyOk)).toBe(true);

    const outputs: string[] = [JSON.stringify(status)];
    outputs.push((await unixRequest(cfg.controlSocket, "GET", "/metrics")).body);
    outputs.push(JSON.stringify(await daemon.pull()));
    for (const args of [["status"], ["status", "--json"], ["config"], ["config", "--json"], ["doctor"], ["doctor", "--json"], ["pull", "--json"], ["query", "zebracorn", "--json"]]) {
      const r = await sb.exec(`recall-${args.join("-")}`, RECALL, args, env);
      expect(r.code, `recall ${args.join(" ")}: ${r.stderr}`).toBeLessThan(2);
      outputs.push(r.stdout, r.stderr);
    }
    // An error path: a wrong endpoint makes the pull fail; its message must not carry the key either.
    const bad = writeConfig(sb, { provider: "cloud", endpoint: "http://127.0.0.1:9/", bundle_root: sb.path("bundles2"), socket_path: sb.path("run2", "m.sock") }, "bad.yaml");
    const failed = await sb.exec("recall-pull-bad", RECALL, ["pull", "--json", "--config", bad.file], env);
    expect(failed.code).toBe(1);
    outputs.push(failed.stdout, failed.stderr);

    expect((await daemon.stop()).code).toBe(0);
    expect(outputs.filter((o) => o.includes(API_KEY))).toEqual([]);
    // Logs, audit events, state, bundles: nothing on disk holds it (the config doesn't either: it came from env).
    expect(await filesContaining(sb.dir, API_KEY)).toEqual([]);
  });
});
