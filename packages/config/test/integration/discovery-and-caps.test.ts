import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, MAX_CONFIG_BYTES, MAX_FLOW_DEPTH, findProjectConfig, loadConfig, loadConfigWithSources, resolveConfigPath } from "../../src/index";

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rcfd-"));
  env = { HOME: join(dir, "home"), XDG_RUNTIME_DIR: join(dir, "run"), XDG_CONFIG_HOME: join(dir, "xdg") };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, text: string, mode = 0o644): string {
  const p = join(dir, rel);
  mkdirSync(join(p, ".."), { recursive: true, mode: 0o755 });
  writeFileSync(p, text, { mode });
  chmodSync(p, mode);
  return p;
}
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("project-local config discovery", () => {
  it("finds the nearest .recall/config.yaml from the working directory up, below --config and $RECALL_CONFIG, above the XDG default", () => {
    write("xdg/recall/config.yaml", "memory:\n  socket_path: /from/xdg.sock\n");
    const outer = write("proj/.recall/config.yaml", "memory:\n  socket_path: /from/outer.sock\n");
    const deep = join(dir, "proj/a/b/c");
    mkdirSync(deep, { recursive: true });
    const w = loadConfigWithSources({ env, cwd: deep });
    expect(w.config.memory.socket_path).toBe("/from/outer.sock");
    expect(w.location).toMatchObject({ via: "project", path: outer, explicit: false });
    expect(w.location.probed.slice(0, 4)).toEqual([
      join(deep, ".recall/config.yaml"),
      join(dir, "proj/a/b/.recall/config.yaml"),
      join(dir, "proj/a/.recall/config.yaml"),
      outer,
    ]);
    expect(w.sources["memory.socket_path"]).toBe(`${outer}:2`);
    // a nearer one wins
    write("proj/a/.recall/config.yaml", "memory:\n  socket_path: /from/inner.sock\n");
    expect(loadConfig({ env, cwd: deep }).memory.socket_path).toBe("/from/inner.sock");
    // $RECALL_CONFIG and --config win over it
    const named = write("named.yaml", "memory:\n  socket_path: /from/named.sock\n");
    expect(loadConfig({ env: { ...env, RECALL_CONFIG: named }, cwd: deep }).memory.socket_path).toBe("/from/named.sock");
    expect(loadConfig({ env, cwd: deep, file: named }).memory.socket_path).toBe("/from/named.sock");
    // env still wins over the file
    expect(loadConfig({ env: { ...env, RECALL_MEMORY_SOCKET_PATH: "/from/env.sock" }, cwd: deep }).memory.socket_path).toBe("/from/env.sock");
    // outside the project: the XDG default
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere);
    const d = resolveConfigPath({ env, cwd: elsewhere });
    expect(d).toMatchObject({ via: "default", path: join(dir, "xdg/recall/config.yaml") });
    expect(d.probed.at(-1)).toBe(d.path);
    expect(loadConfig({ env, cwd: elsewhere }).memory.socket_path).toBe("/from/xdg.sock");
  });

  it("relative paths in a project config resolve against its .recall directory", () => {
    write("p/.recall/config.yaml", "memory:\n  socket_path: run/m.sock\n  bundle_root: ./bundles\n");
    const c = loadConfig({ env, cwd: join(dir, "p") });
    expect(c.memory.socket_path).toBe(join(dir, "p/.recall/run/m.sock"));
    expect(c.memory.bundle_root).toBe(join(dir, "p/.recall/bundles"));
  });

  it("skips a candidate writable by others (another user could redirect queries), and a directory in its place", () => {
    write("q/.recall/config.yaml", "memory:\n  socket_path: /evil.sock\n", 0o666);
    expect(findProjectConfig(join(dir, "q"))).toBeNull();
    chmodSync(join(dir, "q/.recall/config.yaml"), 0o664); // group write (umask 002) is fine
    expect(findProjectConfig(join(dir, "q"))).toBe(join(dir, "q/.recall/config.yaml"));
    chmodSync(join(dir, "q/.recall/config.yaml"), 0o644);
    chmodSync(join(dir, "q/.recall"), 0o777);
    expect(findProjectConfig(join(dir, "q"))).toBeNull();
    chmodSync(join(dir, "q/.recall"), 0o755);
    expect(findProjectConfig(join(dir, "q"))).toBe(join(dir, "q/.recall/config.yaml"));
    mkdirSync(join(dir, "r/.recall/config.yaml"), { recursive: true });
    expect(findProjectConfig(join(dir, "r"))).toBeNull();
    // a file another user owns is refused (root-owned files are trusted, as root could write anywhere anyway)
    const uid = process.getuid!();
    if (uid === 0) chownSync(join(dir, "q/.recall/config.yaml"), 4242, 4242);
    expect(findProjectConfig(join(dir, "q"), [], uid === 0 ? 0 : uid + 1)).toBeNull();
  });
});

describe("config file caps (a parser of outside bytes)", () => {
  it("refuses a file over the size cap with CONFIG_TOO_LARGE, before parsing", () => {
    const f = write("big.yaml", `memory:\n  tlm_path: ${"x".repeat(MAX_CONFIG_BYTES)}\n`);
    const e = configError(() => loadConfig({ env, file: f }));
    expect(e.code).toBe("CONFIG_TOO_LARGE");
    expect(e.message).toContain("at most 64 KiB");
    expect("exitCode" in e).toBe(false);
  });

  it("refuses what is not a regular file (a device, a FIFO-like path) without reading it", () => {
    const e = configError(() => loadConfig({ env, file: "/dev/zero" }));
    expect(e.code).toBe("CONFIG_FILE_MISSING");
    expect(e.message).toContain("not a regular file");
    expect(configError(() => loadConfig({ env, file: dir })).message).toContain("not a regular file");
  });

  it("follows a symlinked config to its target (a user's own dotfiles), and still caps it", () => {
    const real = write("real.yaml", "memory:\n  socket_path: /via/link.sock\n");
    symlinkSync(real, join(dir, "link.yaml"));
    expect(loadConfig({ env, file: join(dir, "link.yaml") }).memory.socket_path).toBe("/via/link.sock");
  });

  it("refuses alias bombs, deep flow nesting and duplicate keys with CONFIG_PARSE naming the line", () => {
    const laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++) laughs.push(`${"abcdefghij"[i]}: &${"abcdefghij"[i]} [${Array(10).fill(`*${"abcdefghij"[i - 1]}`).join(", ")}]`);
    const bomb = configError(() => loadConfig({ env, file: write("bomb.yaml", `memory:\n  bundle_public_keys: *j\n${laughs.join("\n")}\n`) }));
    expect(bomb.code).toBe("CONFIG_PARSE");
    const deep = configError(() => loadConfig({ env, file: write("deep.yaml", `memory:\n  bundle_public_keys: ${"[".repeat(MAX_FLOW_DEPTH + 1)}${"]".repeat(MAX_FLOW_DEPTH + 1)}\n`) }));
    expect(deep.code).toBe("CONFIG_PARSE");
    expect(deep.message).toMatch(/deep\.yaml:2: .*nested deeper than 64/);
    // brackets inside quotes and comments do not count
    expect(loadConfig({ env, file: write("quoted.yaml", `memory:\n  tlm_path: "${"[".repeat(100)}"  # ${"{".repeat(100)}\n`) }).memory.tlm_path).toBe("[".repeat(100));
    const dup = configError(() => loadConfig({ env, file: write("dup.yaml", "memory:\n  provider: local\n  provider: cloud\n") }));
    expect(dup.code).toBe("CONFIG_PARSE");
    expect(dup.message).toMatch(/dup\.yaml:3: .*duplicate key "provider"/);
    const dupSection = configError(() => loadConfig({ env, file: write("dup2.yaml", "memory:\n  provider: local\nmemory:\n  provider: cloud\n") }));
    expect(dupSection.message).toMatch(/dup2\.yaml:3: .*duplicate key "memory"/);
  });

  it("cost: the worst shapes at the size cap finish within a wide margin and bounded memory", () => {
    const cap = MAX_CONFIG_BYTES;
    const fill = (unit: string, prefix = "") => prefix + unit.repeat(Math.floor((cap - prefix.length) / unit.length));
    let blockDeep = "";
    for (let i = 0; blockDeep.length + i + 3 < cap; i++) blockDeep += `${" ".repeat(i)}a:\n`;
    const shapes: Record<string, string> = {
      "many keys": fill("k0000000: v\n"),
      "many memory keys": fill("  k000000: v\n", "memory:\n"),
      "wide flow list": fill("a,", "memory:\n  bundle_public_keys: [").slice(0, cap - 1) + "]",
      "flow nesting at the limit": fill(`${"[".repeat(MAX_FLOW_DEPTH)}${"]".repeat(MAX_FLOW_DEPTH)},`, "x: [").slice(0, cap - 1) + "]",
      "deep block nesting": blockDeep,
      "many anchors": fill("- &a x\n"),
      "many documents": fill("---\na: 1\n"),
      "one long scalar": `memory:\n  tlm_path: ${"x".repeat(cap - 30)}\n`,
      "escapes": `a: "${fill("\\u0041").slice(0, cap - 10)}"\n`,
    };
    for (const [name, text] of Object.entries(shapes)) {
      expect(Buffer.byteLength(text), name).toBeLessThanOrEqual(cap);
      const f = write(`cost-${name.replace(/ /g, "-")}.yaml`, text);
      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      try {
        loadConfig({ env, file: f });
      } catch (err) {
        expect(err, name).toBeInstanceOf(ConfigError);
      }
      const ms = performance.now() - t0;
      const mb = (process.memoryUsage().rss - rss0) / 1e6;
      expect(ms, `${name}: ${ms.toFixed(0)} ms`).toBeLessThan(20_000);
      expect(mb, `${name}: ${mb.toFixed(0)} MB`).toBeLessThan(300);
    }
  });
});
