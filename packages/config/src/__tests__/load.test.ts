import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CONFIG_KEYS, ConfigError, loadConfig, type LoadConfigOptions } from "../index";

// a working directory with no .recall/config.yaml above it, so only the given file/env/flags count
const NO_PROJECT = "/";

// HOME points nowhere real, so the default config file is absent and only env/flags matter here
const env = { HOME: "/nonexistent/home-for-tests", XDG_RUNTIME_DIR: "/run/user/1000" };

function configError(opts: LoadConfigOptions): ConfigError {
  try {
    loadConfig({ cwd: NO_PROJECT, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig defaults", () => {
  it("gives the documented defaults with no file, env or flags", () => {
    const c = loadConfig({ cwd: NO_PROJECT, env });
    expect(c.configFile).toBeNull();
    expect(c.memory).toEqual({
      provider: "local",
      endpoint: "",
      api_key: "",
      socket_path: "/run/user/1000/recall/memory.sock",
      bundle_root: "/nonexistent/home-for-tests/.local/share/recall/bundles",
      tlm_path: "",
      bundle_pull_interval_ms: 86_400_000,
      bundle_pull_startup_delay_ms: 30_000,
      bundle_pull_jitter: 0.1,
      sidecar_ready_timeout_ms: 10_000,
      sidecar_shutdown_grace_ms: 2000,
      sidecar_restart_max: 5,
      sidecar_restart_backoff_ms: 1000,
      sidecar_restart_backoff_max_ms: 30_000,
      sidecar_stable_after_ms: 300_000,
      client_request_timeout_ms: 2000,
      bundle_retain: 3,
      bundle_max_bytes: 2 * 1024 ** 3,
      bundle_max_unpacked_bytes: 8 * 1024 ** 3,
      bundle_download_timeout_ms: 600_000,
      bundle_min_bytes_per_s: 10 * 1024,
      bundle_public_keys: [],
      bundle_schema_range: "^1.0.0",
      allow_insecure_http: false,
    });
    expect(c.cloud).toEqual({ endpoint: "", api_key: "" });
  });

  it("has metadata for every key, and every memory key reaches the loaded config", () => {
    const c = loadConfig({ cwd: NO_PROJECT, env });
    for (const k of CONFIG_KEYS) {
      expect(k.description.length).toBeGreaterThan(10);
      expect(k.env).toBe(`RECALL_${k.section.toUpperCase()}_${k.name.toUpperCase()}`);
      expect(Object.keys(c[k.section])).toContain(k.output);
    }
    expect(CONFIG_KEYS.filter((k) => k.section === "memory")).toHaveLength(24);
  });

  it("falls back to ~/.recall/run when XDG_RUNTIME_DIR is unset", () => {
    expect(loadConfig({ cwd: NO_PROJECT, env: { HOME: "/nonexistent/h" } }).memory.socket_path).toBe("/nonexistent/h/.recall/run/memory.sock");
  });

  it("returns a deep-frozen config", () => {
    const c = loadConfig({ cwd: NO_PROJECT, env, flags: { bundle_public_keys: [Buffer.alloc(32, 1).toString("base64")] } });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.memory)).toBe(true);
    expect(Object.isFrozen(c.cloud)).toBe(true);
    expect(Object.isFrozen(c.memory.bundle_public_keys)).toBe(true);
    expect(() => {
      (c.memory as { provider: string }).provider = "cloud";
    }).toThrow(TypeError);
    expect(() => (c.memory.bundle_public_keys as string[]).push("x")).toThrow(TypeError);
  });
});

describe("loadConfig env and flags", () => {
  it("flags beat env, env beats defaults", () => {
    const c = loadConfig({ cwd: NO_PROJECT,
      env: { ...env, RECALL_MEMORY_CLIENT_REQUEST_TIMEOUT: "5s", RECALL_MEMORY_BUNDLE_RETAIN: "7" },
      flags: { client_request_timeout: "750ms" },
    });
    expect(c.memory.client_request_timeout_ms).toBe(750);
    expect(c.memory.bundle_retain).toBe(7);
  });

  it("accepts flags as memory.key, key, --key-with-dashes and cloud.key; ignores undefined", () => {
    const c = loadConfig({ cwd: NO_PROJECT,
      env,
      flags: {
        "memory.provider": "cloud",
        "socket-path": "/tmp/r/m.sock",
        "--bundle_root": "/srv/b",
        "cloud.endpoint": "https://c.example",
        tlm_path: undefined,
      },
    });
    expect(c.memory.provider).toBe("cloud");
    expect(c.memory.socket_path).toBe("/tmp/r/m.sock");
    expect(c.memory.bundle_root).toBe("/srv/b");
    expect(c.memory.endpoint).toBe("https://c.example");
    expect(c.memory.tlm_path).toBe("");
  });

  it("coerces env text: numbers, booleans, comma and JSON lists; ignores empty variables", () => {
    const k1 = Buffer.alloc(32, 1).toString("base64");
    const k2 = Buffer.alloc(32, 2).toString("base64");
    const base = { ...env, RECALL_MEMORY_BUNDLE_PULL_JITTER: "0.25", RECALL_MEMORY_ALLOW_INSECURE_HTTP: "yes", RECALL_MEMORY_TLM_PATH: "" };
    const a = loadConfig({ cwd: NO_PROJECT, env: { ...base, RECALL_MEMORY_BUNDLE_PUBLIC_KEYS: ` ${k1} , ${k2} ` } });
    expect(a.memory.bundle_pull_jitter).toBe(0.25);
    expect(a.memory.allow_insecure_http).toBe(true);
    expect(a.memory.bundle_public_keys).toEqual([k1, k2]);
    expect(a.memory.tlm_path).toBe("");
    const b = loadConfig({ cwd: NO_PROJECT, env: { ...base, RECALL_MEMORY_BUNDLE_PUBLIC_KEYS: JSON.stringify([k2]) } });
    expect(b.memory.bundle_public_keys).toEqual([k2]);
    expect(loadConfig({ cwd: NO_PROJECT, env: { ...env, RECALL_MEMORY_ALLOW_INSECURE_HTTP: "off" } }).memory.allow_insecure_http).toBe(false);
  });

  it("sizes accept unit text and plain byte numbers", () => {
    const c = loadConfig({ cwd: NO_PROJECT, env: { ...env, RECALL_MEMORY_BUNDLE_MAX_BYTES: "5MB" }, flags: { bundle_min_bytes_per_s: 2048 } });
    expect(c.memory.bundle_max_bytes).toBe(5_000_000);
    expect(c.memory.bundle_min_bytes_per_s).toBe(2048);
  });

  it("applies the cloud.* fallback for endpoint and api_key, and memory.* wins over it", () => {
    const fallback = loadConfig({ cwd: NO_PROJECT, env: { ...env, RECALL_CLOUD_ENDPOINT: "https://cloud.example", RECALL_CLOUD_API_KEY: "ck" } });
    expect(fallback.memory.endpoint).toBe("https://cloud.example");
    expect(fallback.memory.api_key).toBe("ck");
    expect(fallback.cloud).toEqual({ endpoint: "https://cloud.example", api_key: "ck" });
    const own = loadConfig({ cwd: NO_PROJECT,
      env: { ...env, RECALL_CLOUD_ENDPOINT: "https://cloud.example", RECALL_CLOUD_API_KEY: "ck", RECALL_MEMORY_API_KEY: "mk" },
      flags: { endpoint: "https://mem.example" },
    });
    expect(own.memory.endpoint).toBe("https://mem.example");
    expect(own.memory.api_key).toBe("mk");
  });

  it("resolves relative and ~ paths from env and flags against cwd and HOME", () => {
    const c = loadConfig({ env: { ...env, RECALL_MEMORY_BUNDLE_ROOT: "~/b" }, flags: { socket_path: "run/m.sock", tlm_path: "./bin/tlm" }, cwd: "/w" });
    expect(c.memory.bundle_root).toBe("/nonexistent/home-for-tests/b");
    expect(c.memory.socket_path).toBe("/w/run/m.sock");
    expect(c.memory.tlm_path).toBe("/w/bin/tlm");
    expect(loadConfig({ cwd: NO_PROJECT, env, flags: { tlm_path: "my-tlm" } }).memory.tlm_path).toBe("my-tlm");
  });
});

describe("loadConfig bad values", () => {
  const cases: [string, LoadConfigOptions, string, string, string][] = [
    ["bad provider", { flags: { provider: "remote" } }, "memory.provider", "--provider", 'expected one of disabled, local, cloud; found "remote"'],
    ["negative duration", { env: { RECALL_MEMORY_SIDECAR_READY_TIMEOUT: "-5s" } }, "memory.sidecar_ready_timeout", "RECALL_MEMORY_SIDECAR_READY_TIMEOUT", 'found "-5s"'],
    ["unitless duration", { flags: { bundle_pull_interval: 86400 } }, "memory.bundle_pull_interval", "--bundle_pull_interval", "found 86400"],
    ["duration beyond what a timer can hold", { flags: { bundle_pull_interval: "30d" } }, "memory.bundle_pull_interval", "--bundle_pull_interval", 'at most 24d; found "30d"'],
    ["zero timeout", { flags: { client_request_timeout: "0s" } }, "memory.client_request_timeout", "--client_request_timeout", "expected a positive duration"],
    ["jitter above 1", { env: { RECALL_MEMORY_BUNDLE_PULL_JITTER: "1.5" } }, "memory.bundle_pull_jitter", "RECALL_MEMORY_BUNDLE_PULL_JITTER", "expected a number from 0 to 1; found 1.5"],
    ["jitter below 0", { flags: { bundle_pull_jitter: -0.1 } }, "memory.bundle_pull_jitter", "--bundle_pull_jitter", "found -0.1"],
    ["jitter not a number", { env: { RECALL_MEMORY_BUNDLE_PULL_JITTER: "lots" } }, "memory.bundle_pull_jitter", "RECALL_MEMORY_BUNDLE_PULL_JITTER", 'found "lots"'],
    ["wrong type (boolean)", { flags: { allow_insecure_http: "maybe" } }, "memory.allow_insecure_http", "--allow_insecure_http", 'expected true or false; found "maybe"'],
    ["wrong type (integer)", { flags: { bundle_retain: 2.5 } }, "memory.bundle_retain", "--bundle_retain", "expected a whole number from 1 to 1000; found 2.5"],
    ["wrong type (list)", { flags: { bundle_public_keys: "[not json" } }, "memory.bundle_public_keys", "--bundle_public_keys", "expected a list"],
    ["bad public key", { flags: { bundle_public_keys: ["abc"] } }, "memory.bundle_public_keys", "--bundle_public_keys", 'memory.bundle_public_keys[0] (from --bundle_public_keys): expected a base64 raw Ed25519 public key (32 bytes); found "abc"'],
    ["bad size", { env: { RECALL_MEMORY_BUNDLE_MAX_BYTES: "2GB!" } }, "memory.bundle_max_bytes", "RECALL_MEMORY_BUNDLE_MAX_BYTES", "expected a positive size"],
    ["negative size", { flags: { bundle_max_unpacked_bytes: -1 } }, "memory.bundle_max_unpacked_bytes", "--bundle_max_unpacked_bytes", "found -1"],
    ["bad endpoint", { flags: { endpoint: "ftp://x.example" } }, "memory.endpoint", "--endpoint", "expected an http:// or https:// URL"],
    ["bad range", { flags: { bundle_schema_range: "" } }, "memory.bundle_schema_range", "--bundle_schema_range", "expected a semver range"],
    ["empty socket path", { flags: { socket_path: " " } }, "memory.socket_path", "--socket_path", "expected a path"],
    ["unset XDG_RUNTIME_DIR in a path", { flags: { socket_path: "$XDG_RUNTIME_DIR/m.sock" } }, "memory.socket_path", "--socket_path", "$XDG_RUNTIME_DIR is not set"],
  ];
  for (const [name, opts, key, source, text] of cases) {
    it(`${name}: names ${key}, its source ${source}, and what was found`, () => {
      const envNoRuntime = { HOME: env.HOME };
      const err = configError({ ...opts, env: { ...envNoRuntime, ...opts.env } });
      expect(err.code).toBe("CONFIG_INVALID");
      expect("exitCode" in err).toBe(false); // the apps pick the exit status, not the library
      expect(err.key).toBe(key);
      expect(err.source).toBe(source);
      expect(err.message).toContain(key);
      expect(err.message).toContain(`(from ${source})`);
      expect(err.message).toContain("expected");
      expect(err.message).toContain("found");
      expect(err.message).toContain(text);
    });
  }

  it("a socket path over 107 bytes is an error showing the expanded path and its length", () => {
    const long = `/tmp/${"d".repeat(96)}/m.sock`; // 109 bytes
    const err = configError({ env: { ...env, RECALL_MEMORY_SOCKET_PATH: long } });
    expect(err.key).toBe("memory.socket_path");
    expect(err.source).toBe("RECALL_MEMORY_SOCKET_PATH");
    expect(err.message).toContain("at most 107 bytes");
    expect(err.message).toContain(`(${Buffer.byteLength(long)} bytes)`);
  });

  it("a socket path that fits but leaves no room for daemon.sock is an error", () => {
    const path = `/tmp/${"d".repeat(96)}/m.s`; // 106 bytes; daemon.sock next to it is 114
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(107);
    const err = configError({ env, flags: { socket_path: path } });
    expect(err.key).toBe("memory.socket_path");
    expect(err.message).toContain("daemon.sock");
  });

  it("a too-long default socket path (from a long XDG_RUNTIME_DIR) names the default as source", () => {
    const err = configError({ env: { HOME: env.HOME, XDG_RUNTIME_DIR: `/run/${"x".repeat(100)}` } });
    expect(err.key).toBe("memory.socket_path");
    expect(err.source).toBe("default");
  });

  it("unknown env variables and flags are errors with a did-you-mean", () => {
    const e1 = configError({ env: { ...env, RECALL_MEMORY_SOKET_PATH: "/x" } });
    expect(e1.message).toContain("RECALL_MEMORY_SOKET_PATH");
    expect(e1.message).toContain("did you mean RECALL_MEMORY_SOCKET_PATH?");
    const e2 = configError({ env, flags: { bundle_retian: 3 } });
    expect(e2.message).toContain("--bundle_retian");
    expect(e2.message).toContain("did you mean --memory.bundle_retain?");
    const e3 = configError({ env, flags: { "cloud.api_kee": "x" } });
    expect(e3.message).toContain("did you mean --cloud.api_key?");
  });

  it("lists every problem, not only the first", () => {
    const err = configError({ env: { ...env, RECALL_MEMORY_BUNDLE_RETAIN: "0" }, flags: { provider: "x", bundle_pull_jitter: 3 } });
    expect(err.issues).toHaveLength(3);
    expect(err.message).toContain("3 problems");
    expect(err.issues.map((i) => i.key).sort()).toEqual(["memory.bundle_pull_jitter", "memory.bundle_retain", "memory.provider"]);
  });

  it("never puts an API key in a ConfigError, whatever else is wrong", () => {
    const secret = fc.uint8Array({ minLength: 12, maxLength: 24 }).map((b) => `sk-${Buffer.from(b).toString("hex")}`);
    fc.assert(
      fc.property(secret, fc.constantFrom("memory", "cloud"), fc.constantFrom("flag", "env"), (key, section, via) => {
        const opts: LoadConfigOptions =
          via === "flag"
            ? { env, flags: { [`${section}.api_key`]: key, provider: "bogus", socket_path: "$XDG_CACHE_HOME/../" + "x".repeat(120) } }
            : { env: { ...env, [`RECALL_${section.toUpperCase()}_API_KEY`]: key, RECALL_MEMORY_BUNDLE_RETAIN: "many", RECALL_MEMORY_APIKEY: key } };
        const err = configError(opts);
        expect(err.issues.length).toBeGreaterThanOrEqual(2);
        expect(err.message).not.toContain(key);
        expect(JSON.stringify(err.issues)).not.toContain(key);
        expect(String(err.stack)).not.toContain(key);
      }),
      { numRuns: 50 },
    );
    // a wrongly typed api key is reported, redacted
    const err = configError({ env, flags: { api_key: 123456789, "cloud.api_key": ["sk-live-abcdef"] } });
    expect(err.message).not.toContain("123456789");
    expect(err.message).not.toContain("sk-live-abcdef");
    expect(err.message).toContain("memory.api_key (from --api_key): expected a string; found <redacted>");
    expect(JSON.stringify(err.issues)).not.toContain("sk-live-abcdef");
  });
});
