import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, loadConfigWithSources, type LoadConfigOptions } from "../../src/index";

// a working directory with no .recall/config.yaml above it, so only the given file/env/flags count
const NO_PROJECT = "/";

let dir: string;
let env: Record<string, string>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rcfg-"));
  env = { HOME: join(dir, "home"), XDG_RUNTIME_DIR: join(dir, "run") };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  return p;
}

function configError(opts: LoadConfigOptions): ConfigError {
  try {
    loadConfig({ cwd: NO_PROJECT, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("config file", () => {
  it("precedence: defaults < file < env < flags, key by key", () => {
    const file = write(
      "c.yaml",
      [
        "memory:",
        "  provider: cloud",
        "  bundle_retain: 4",
        "  client_request_timeout: 3s",
        "  sidecar_ready_timeout: 20s",
        "  bundle_pull_jitter: 0.2",
        "",
      ].join("\n"),
    );
    const c = loadConfig({ cwd: NO_PROJECT,
      file,
      env: { ...env, RECALL_MEMORY_CLIENT_REQUEST_TIMEOUT: "4s", RECALL_MEMORY_SIDECAR_READY_TIMEOUT: "30s" },
      flags: { "memory.sidecar_ready_timeout": "40s" },
    });
    expect(c.configFile).toBe(file);
    expect(c.memory.sidecar_shutdown_grace_ms).toBe(2000); // default
    expect(c.memory.provider).toBe("cloud"); // file
    expect(c.memory.bundle_retain).toBe(4); // file
    expect(c.memory.bundle_pull_jitter).toBe(0.2); // file
    expect(c.memory.client_request_timeout_ms).toBe(4000); // env over file
    expect(c.memory.sidecar_ready_timeout_ms).toBe(40_000); // flag over env over file
  });

  it("loadConfigWithSources names where each effective value came from", () => {
    const file = write("c.yaml", "memory:\n  provider: cloud\n  bundle_retain: 4\ncloud:\n  api_key: k\n");
    const { config, sources } = loadConfigWithSources({ cwd: NO_PROJECT,
      file,
      env: { ...env, RECALL_MEMORY_BUNDLE_RETAIN: "5", RECALL_MEMORY_ENDPOINT: "https://e.example" },
      flags: { "client-request-timeout": "1s" },
    });
    expect(config.memory.bundle_retain).toBe(5);
    expect(sources["memory.provider"]).toBe(`${file}:2`);
    expect(sources["memory.bundle_retain"]).toBe("RECALL_MEMORY_BUNDLE_RETAIN");
    expect(sources["memory.client_request_timeout"]).toBe("--client-request-timeout");
    expect(sources["memory.socket_path"]).toBe("default");
    expect(sources["memory.endpoint"]).toBe("RECALL_MEMORY_ENDPOINT");
    expect(sources["memory.api_key"]).toBe(`cloud fallback: ${file}:5`);
    expect(Object.isFrozen(sources)).toBe(true);
  });

  it("reads $RECALL_CONFIG, then the XDG default, and a missing default file is fine", () => {
    const viaEnv = write("elsewhere.yaml", "memory:\n  bundle_retain: 9\n");
    expect(loadConfig({ cwd: NO_PROJECT, env: { ...env, RECALL_CONFIG: viaEnv } }).memory.bundle_retain).toBe(9);

    expect(loadConfig({ cwd: NO_PROJECT, env }).configFile).toBeNull();

    const xdg = write("xdgcfg/recall/config.yaml", "memory:\n  bundle_retain: 6\n");
    const c = loadConfig({ cwd: NO_PROJECT, env: { ...env, XDG_CONFIG_HOME: join(dir, "xdgcfg") } });
    expect(c.configFile).toBe(xdg);
    expect(c.memory.bundle_retain).toBe(6);

    const home = write("home/.config/recall/config.yaml", "memory:\n  bundle_retain: 5\n");
    const h = loadConfig({ cwd: NO_PROJECT, env });
    expect(h.configFile).toBe(home);
    expect(h.memory.bundle_retain).toBe(5);

    // an explicit file wins over $RECALL_CONFIG
    const explicit = write("x.yaml", "memory:\n  bundle_retain: 2\n");
    expect(loadConfig({ cwd: NO_PROJECT, file: explicit, env: { ...env, RECALL_CONFIG: viaEnv } }).memory.bundle_retain).toBe(2);
  });

  it("a missing explicit file is CONFIG_FILE_MISSING, from the argument or $RECALL_CONFIG", () => {
    const missing = join(dir, "nope.yaml");
    const e1 = configError({ file: missing, env });
    expect(e1.code).toBe("CONFIG_FILE_MISSING");
    expect("exitCode" in e1).toBe(false);
    expect(e1.message).toContain(missing);
    expect(e1.message).toContain("does not exist");
    const e2 = configError({ env: { ...env, RECALL_CONFIG: missing } });
    expect(e2.code).toBe("CONFIG_FILE_MISSING");
    expect(e2.message).toContain("$RECALL_CONFIG");
  });

  it("an unreadable file is an error", () => {
    if (process.getuid?.() === 0) {
      // root reads anything: use a directory instead, which no one can read as a file
      const d = join(dir, "adir.yaml");
      mkdirSync(d);
      expect(configError({ file: d, env }).code).toBe("CONFIG_FILE_MISSING");
      return;
    }
    const p = write("locked.yaml", "memory: {}\n");
    chmodSync(p, 0o000);
    const err = configError({ file: p, env });
    expect(err.code).toBe("CONFIG_FILE_MISSING");
    expect(err.message).toContain("cannot be read");
  });

  it("a bad value names file:LINE, what was expected and what was found", () => {
    const file = write("c.yaml", "# comment\nmemory:\n  provider: local\n\n  sidecar_ready_timeout: -5s\n");
    const err = configError({ file, env });
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.key).toBe("memory.sidecar_ready_timeout");
    expect(err.source).toBe(`${file}:5`);
    expect(err.message).toBe(
      `invalid config: memory.sidecar_ready_timeout (from ${file}:5): expected a positive duration such as 500ms, 30s, 10m, 24h or 1d, at most 24d; found "-5s"`,
    );
  });

  it("wrong types in YAML are reported with their line", () => {
    const file = write(
      "c.yaml",
      "memory:\n  bundle_retain: three\n  allow_insecure_http: 1\n  bundle_public_keys: abc\n  sidecar_restart_max: [1]\n  bundle_pull_interval: 24\n",
    );
    const err = configError({ file, env });
    const byKey = Object.fromEntries(err.issues.map((i) => [i.key, i]));
    expect(byKey["memory.bundle_retain"]?.source).toBe(`${file}:2`);
    expect(byKey["memory.bundle_retain"]?.found).toBe('"three"');
    expect(byKey["memory.allow_insecure_http"]?.source).toBe(`${file}:3`);
    expect(byKey["memory.allow_insecure_http"]?.expected).toBe("true or false");
    expect(byKey["memory.bundle_public_keys"]?.source).toBe(`${file}:4`);
    expect(byKey["memory.sidecar_restart_max"]?.found).toBe("a list [1]");
    expect(byKey["memory.bundle_pull_interval"]?.found).toBe("24");
  });

  it("unknown keys in the file are errors with a did-you-mean", () => {
    const file = write("c.yaml", "memory:\n  soket_path: /x.sock\nmemroy:\n  a: 1\n  b: 2\nsocket_path: /y.sock\nwhatever: 1\ncloud:\n  api_kye: k\n");
    const err = configError({ file, env });
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.message).toContain(`unknown config key memory.soket_path (from ${file}:2); did you mean memory.socket_path?`);
    expect(err.message).toContain(`unknown config key memroy (from ${file}:3); did you mean memory?`);
    expect(err.message).toContain(`unknown config key socket_path (from ${file}:6); did you mean memory.socket_path (under a memory: section)?`);
    expect(err.message).toContain(`unknown config key whatever (from ${file}:7)`);
    expect(err.message).toContain("did you mean cloud.api_key?");
    expect(err.issues).toHaveLength(5);
  });

  it("bad YAML is CONFIG_PARSE with its line", () => {
    const file = write("c.yaml", "memory:\n  provider: local\n  socket_path: [unclosed\n  bundle_retain: 3\n");
    const err = configError({ file, env });
    expect(err.code).toBe("CONFIG_PARSE");
    expect(err.source).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+$`));
    expect(err.message).toContain("invalid YAML");
    const tabs = write("t.yaml", "memory:\n\tprovider: local\n");
    expect(configError({ file: tabs, env }).source).toBe(`${tabs}:2`);
    const dup = write("d.yaml", "memory:\n  provider: local\n  provider: cloud\n");
    const d = configError({ file: dup, env });
    expect(d.code).toBe("CONFIG_PARSE");
    expect(d.source).toBe(`${dup}:3`);
  });

  it("a non-mapping file or section is an error; an empty file or section is fine", () => {
    expect(configError({ file: write("l.yaml", "- a\n- b\n"), env }).message).toContain("expected a mapping");
    const s = write("s.yaml", "memory: 3\n");
    const err = configError({ file: s, env });
    expect(err.key).toBe("memory");
    expect(err.source).toBe(`${s}:1`);
    expect(loadConfig({ cwd: NO_PROJECT, file: write("e.yaml", ""), env }).memory.provider).toBe("local");
    expect(loadConfig({ cwd: NO_PROJECT, file: write("n.yaml", "memory:\ncloud:\n"), env }).memory.provider).toBe("local");
    // a null value means unset: the default applies
    expect(loadConfig({ cwd: NO_PROJECT, file: write("u.yaml", "memory:\n  bundle_retain:\n"), env }).memory.bundle_retain).toBe(3);
  });

  it("cloud.* in the file is the fallback for memory.endpoint and memory.api_key", () => {
    const file = write("c.yaml", "memory:\n  provider: cloud\ncloud:\n  endpoint: https://cloud.example/base\n  api_key: sk-file-key\n");
    const c = loadConfig({ cwd: NO_PROJECT, file, env });
    expect(c.memory.endpoint).toBe("https://cloud.example/base");
    expect(c.memory.api_key).toBe("sk-file-key");
    const over = loadConfig({ cwd: NO_PROJECT, file, env: { ...env, RECALL_MEMORY_ENDPOINT: "https://mem.example" } });
    expect(over.memory.endpoint).toBe("https://mem.example");
    expect(over.cloud.endpoint).toBe("https://cloud.example/base");
  });

  it("expands ~ and XDG variables in the file, and resolves relative paths against the file's directory", () => {
    const file = write(
      "conf/c.yaml",
      "memory:\n  socket_path: $XDG_RUNTIME_DIR/r/m.sock\n  bundle_root: ~/bundles\n  tlm_path: ../bin/tlm\n",
    );
    const c = loadConfig({ file, env, cwd: "/somewhere/else" });
    expect(c.memory.socket_path).toBe(join(dir, "run", "r", "m.sock"));
    expect(c.memory.bundle_root).toBe(join(dir, "home", "bundles"));
    expect(c.memory.tlm_path).toBe(join(dir, "bin", "tlm"));
    const data = write("d.yaml", "memory:\n  bundle_root: ${XDG_DATA_HOME}/b\n");
    expect(loadConfig({ cwd: NO_PROJECT, file: data, env: { ...env, XDG_DATA_HOME: "/srv/data" } }).memory.bundle_root).toBe("/srv/data/b");
  });

  it("a socket path too long in the file names the file line", () => {
    const file = write("c.yaml", `memory:\n  bundle_retain: 3\n  socket_path: /tmp/${"s".repeat(110)}.sock\n`);
    const err = configError({ file, env });
    expect(err.key).toBe("memory.socket_path");
    expect(err.source).toBe(`${file}:3`);
    expect(err.message).toContain("at most 107 bytes");
  });

  it("never echoes the api_key: not for a bad value, not for bad YAML on its line", () => {
    const secret = "sk-live-9f8e7d6c5b4a";
    const typed = write("a.yaml", `memory:\n  api_key: [${secret}]\ncloud:\n  api_key: {k: ${secret}}\n`);
    const e1 = configError({ file: typed, env });
    expect(e1.message).toContain("memory.api_key");
    expect(e1.message).toContain("<redacted>");
    expect(e1.message).not.toContain(secret);
    for (const text of [
      `memory:\n  api_key: "${secret}\n`,
      `memory:\n  api_key: ${secret}: x\n`,
      `memory:\n  api_key: *${secret}\n`,
      `memory:\n  api_key: !${secret} x\n  bundle_retain: x\n`,
      `memory:\n  api_key: ${secret}\n   bad: indent\n`,
      `memory:\n  api_key: ${secret}\n  api_key: ${secret}\n`,
    ]) {
      const f = write("b.yaml", text);
      let err: unknown;
      try {
        loadConfig({ cwd: NO_PROJECT, file: f, env });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.message).not.toContain(secret);
      expect(JSON.stringify(e.issues)).not.toContain(secret);
      expect(String(e.stack)).not.toContain(secret);
    }
  });
});
