import { describe, expect, it } from "vitest";
import { homedir } from "node:os";
import {
  controlSocketPath,
  defaultBundleRoot,
  defaultConfigPath,
  defaultSocketPath,
  expandPath,
  resolveConfigPath,
} from "../index";

const env = { HOME: "/home/ada", XDG_RUNTIME_DIR: "/run/user/1000", XDG_DATA_HOME: "/data", XDG_CONFIG_HOME: "/cfg" };

describe("expandPath", () => {
  it("expands ~ and ~/ from the injected HOME", () => {
    expect(expandPath("~", env, "/")).toEqual({ ok: true, path: "/home/ada" });
    expect(expandPath("~/x/y", env, "/")).toEqual({ ok: true, path: "/home/ada/x/y" });
  });

  it("expands $XDG_* and ${XDG_*} and $HOME", () => {
    expect(expandPath("$XDG_RUNTIME_DIR/recall/m.sock", env, "/")).toEqual({ ok: true, path: "/run/user/1000/recall/m.sock" });
    expect(expandPath("${XDG_DATA_HOME}/b", env, "/")).toEqual({ ok: true, path: "/data/b" });
    expect(expandPath("$XDG_CONFIG_HOME/c", env, "/")).toEqual({ ok: true, path: "/cfg/c" });
    expect(expandPath("$HOME/h", env, "/")).toEqual({ ok: true, path: "/home/ada/h" });
  });

  it("uses the XDG defaults under HOME for unset or relative XDG variables", () => {
    expect(expandPath("$XDG_DATA_HOME/b", { HOME: "/h" }, "/")).toEqual({ ok: true, path: "/h/.local/share/b" });
    expect(expandPath("$XDG_CONFIG_HOME/c", { HOME: "/h", XDG_CONFIG_HOME: "rel/dir" }, "/")).toEqual({ ok: true, path: "/h/.config/c" });
  });

  it("fails on an unset XDG_RUNTIME_DIR and on ~user", () => {
    const r = expandPath("$XDG_RUNTIME_DIR/x", { HOME: "/h" }, "/");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain("XDG_RUNTIME_DIR");
    expect(expandPath("~bob/x", env, "/").ok).toBe(false);
  });

  it("leaves other $ text alone and resolves relative paths against the base", () => {
    expect(expandPath("a/$OTHER/b", env, "/base")).toEqual({ ok: true, path: "/base/a/$OTHER/b" });
    expect(expandPath("../x", env, "/base/dir")).toEqual({ ok: true, path: "/base/x" });
  });

  it("falls back to the OS home when HOME is absent", () => {
    expect(expandPath("~/x", {}, "/")).toEqual({ ok: true, path: `${homedir()}/x` });
  });
});

describe("defaults", () => {
  it("socket path: XDG_RUNTIME_DIR, else ~/.recall/run", () => {
    expect(defaultSocketPath(env)).toBe("/run/user/1000/recall/memory.sock");
    expect(defaultSocketPath({ HOME: "/h" })).toBe("/h/.recall/run/memory.sock");
  });

  it("bundle root: XDG_DATA_HOME, else ~/.local/share", () => {
    expect(defaultBundleRoot(env)).toBe("/data/recall/bundles");
    expect(defaultBundleRoot({ HOME: "/h" })).toBe("/h/.local/share/recall/bundles");
  });

  it("config path: XDG_CONFIG_HOME, else ~/.config", () => {
    expect(defaultConfigPath(env)).toBe("/cfg/recall/config.yaml");
    expect(defaultConfigPath({ HOME: "/h" })).toBe("/h/.config/recall/config.yaml");
  });

  it("resolveConfigPath: argument, then $RECALL_CONFIG, then the default", () => {
    expect(resolveConfigPath({ file: "rel.yaml", env: { ...env, RECALL_CONFIG: "/e.yaml" }, cwd: "/w" })).toMatchObject({
      path: "/w/rel.yaml",
      explicit: true,
      via: "argument",
    });
    expect(resolveConfigPath({ env: { ...env, RECALL_CONFIG: "~/e.yaml" }, cwd: "/w" })).toMatchObject({
      path: "/home/ada/e.yaml",
      explicit: true,
      via: "RECALL_CONFIG",
    });
    expect(resolveConfigPath({ env, cwd: "/w" })).toMatchObject({ path: "/cfg/recall/config.yaml", explicit: false, via: "default" });
  });

  it("controlSocketPath is daemon.sock next to the sidecar socket", () => {
    expect(controlSocketPath("/run/user/1000/recall/memory.sock")).toBe("/run/user/1000/recall/daemon.sock");
    expect(controlSocketPath({ memory: { socket_path: "/x/y/m.sock" } })).toBe("/x/y/daemon.sock");
  });
});
