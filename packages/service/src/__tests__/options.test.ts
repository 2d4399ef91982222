import { describe, expect, it } from "vitest";
import { ServiceOptionsError } from "../errors";
import { resolveOptions, serviceOptionsFromConfig, type ServiceConfigInput } from "../options";
import { API_KEY, options } from "./fakes";

const config: ServiceConfigInput = {
  memory: {
    provider: "cloud",
    endpoint: "https://memory.example.com",
    api_key: API_KEY,
    socket_path: "/run/user/1000/recall/memory.sock",
    bundle_root: "/home/u/.local/share/recall/bundles",
    tlm_path: "/opt/tlm",
    bundle_pull_interval_ms: 86_400_000,
    bundle_pull_startup_delay_ms: 30_000,
    bundle_pull_jitter: 0.1,
    sidecar_ready_timeout_ms: 10_000,
    sidecar_shutdown_grace_ms: 2000,
    sidecar_restart_max: 5,
    client_request_timeout_ms: 2000,
    bundle_retain: 3,
    bundle_max_bytes: 2 * 1024 ** 3,
    bundle_max_unpacked_bytes: 8 * 1024 ** 3,
    bundle_download_timeout_ms: 600_000,
    bundle_min_bytes_per_s: 10_240,
    bundle_public_keys: ["a2V5"],
    bundle_schema_range: "^1.0.0",
    allow_insecure_http: false,
  },
};

describe("serviceOptionsFromConfig", () => {
  it("maps every memory.* key to its option", () => {
    const o = serviceOptionsFromConfig(config, { mode: "attach", version: "9.9.9" });
    expect(o).toMatchObject({
      provider: "cloud",
      mode: "attach",
      version: "9.9.9",
      socketPath: "/run/user/1000/recall/memory.sock",
      bundleRoot: "/home/u/.local/share/recall/bundles",
      tlmPath: "/opt/tlm",
      readyTimeoutMs: 10_000,
      shutdownGraceMs: 2000,
      restartMax: 5,
      requestTimeoutMs: 2000,
      attachProbeIntervalMs: 2000,
      puller: {
        endpoint: "https://memory.example.com",
        apiKey: API_KEY,
        bundleRoot: "/home/u/.local/share/recall/bundles",
        socketPath: "/run/user/1000/recall/memory.sock",
        publicKeys: ["a2V5"],
        schemaRange: "^1.0.0",
        retain: 3,
        maxBytes: 2 * 1024 ** 3,
        maxUnpackedBytes: 8 * 1024 ** 3,
        downloadTimeoutMs: 600_000,
        minBytesPerSec: 10_240,
        allowInsecureHttp: false,
        startupDelayMs: 30_000,
        intervalMs: 86_400_000,
        jitter: 0.1,
      },
    });
    expect(() => resolveOptions(o)).not.toThrow();
  });

  it("defaults to spawn mode and copies arrays", () => {
    const o = serviceOptionsFromConfig(config);
    expect(o.mode).toBe("spawn");
    expect(o.puller.publicKeys).not.toBe(config.memory.bundle_public_keys);
  });
});

describe("resolveOptions", () => {
  it("fills documented defaults and freezes", () => {
    const r = resolveOptions(options({ attachProbeIntervalMs: undefined }));
    expect(r.backoff).toEqual({ initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2 });
    expect(r.stableAfterMs).toBe(300_000);
    expect(r.attachProbeIntervalMs).toBe(2000);
    expect(r.puller.bundleRoot).toBe("/tmp/recall-test/bundles");
    expect(Object.isFrozen(r)).toBe(true);
  });

  it("merges a partial backoff", () => {
    expect(resolveOptions(options({ backoff: { initialMs: 5 } })).backoff).toEqual({
      initialMs: 5,
      maxMs: 30_000,
      factor: 2,
      jitter: 0.2,
    });
  });

  it("throws ServiceOptionsError naming fields, never values", () => {
    const bad = options({ restartMax: 0, provider: "nope" as "local" });
    let err: unknown;
    try {
      resolveOptions({ ...bad, puller: { ...bad.puller, apiKey: 42 as unknown as string } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ServiceOptionsError);
    const e = err as ServiceOptionsError;
    expect(e.code).toBe("SERVICE_INVALID_OPTIONS");
    expect(e.issues.join(" ")).toMatch(/restartMax/);
    expect(e.issues.join(" ")).toMatch(/provider/);
    expect(e.issues.join(" ")).toMatch(/puller\.apiKey/);
    expect(e.message).not.toContain("42");
  });
});

describe("serviceOptionsFromConfig with @recall/config", () => {
  it("maps a real loaded config (cloud.* fallback, durations, sizes) to valid options", async () => {
    const { loadConfig } = await import("@recall/config");
    const config = loadConfig({
      cwd: "/", // no project-local .recall/config.yaml above: only env counts
      env: {
        HOME: "/home/u",
        XDG_RUNTIME_DIR: "/run/user/1000",
        RECALL_MEMORY_PROVIDER: "cloud",
        RECALL_CLOUD_ENDPOINT: "https://memory.example.com",
        RECALL_CLOUD_API_KEY: API_KEY,
        RECALL_MEMORY_BUNDLE_PULL_INTERVAL: "12h",
        RECALL_MEMORY_BUNDLE_MAX_BYTES: "1GiB",
      },
    });
    const o = serviceOptionsFromConfig(config, { version: "1.0.0" });
    expect(o.provider).toBe("cloud");
    expect(o.socketPath).toBe("/run/user/1000/recall/memory.sock");
    expect(o.puller.endpoint).toBe("https://memory.example.com");
    expect(o.puller.apiKey).toBe(API_KEY);
    expect(o.puller.intervalMs).toBe(12 * 3600 * 1000);
    expect(o.puller.maxBytes).toBe(1024 ** 3);
    expect(o.shutdownGraceMs).toBe(2000);
    expect(o.requestTimeoutMs).toBe(2000);
    expect(() => resolveOptions(o)).not.toThrow();
    // docs/sidecar.md defaults for the supervisor schedule, from the config's own defaults
    expect(resolveOptions(o).backoff).toMatchObject({ initialMs: 1000, maxMs: 30_000 });
    expect(resolveOptions(o).stableAfterMs).toBe(300_000);
  });

  it("maps the supervisor schedule keys (restart backoff, stable-after)", async () => {
    const { loadConfig } = await import("@recall/config");
    const config = loadConfig({
      cwd: "/",
      env: {
        HOME: "/home/u",
        RECALL_MEMORY_SIDECAR_RESTART_BACKOFF: "50ms",
        RECALL_MEMORY_SIDECAR_RESTART_BACKOFF_MAX: "2s",
        RECALL_MEMORY_SIDECAR_STABLE_AFTER: "10s",
      },
    });
    const r = resolveOptions(serviceOptionsFromConfig(config));
    expect(r.backoff).toEqual({ initialMs: 50, maxMs: 2000, factor: 2, jitter: 0.2 });
    expect(r.stableAfterMs).toBe(10_000);
  });
});
