import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BinaryMissingError, resolveBinary } from "../index";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rb-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function exe(path: string, mode = 0o755): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "#!/bin/sh\nexit 0\n");
  chmodSync(path, mode);
  return path;
}

const noBundled = { resolveBundledPackageJson: () => null };

describe("resolveBinary", () => {
  it("uses an absolute tlm_path that is an executable file", () => {
    const bin = exe(join(dir, "opt", "tlm"));
    expect(resolveBinary(bin, { PATH: "" }, noBundled)).toEqual({ ok: true, path: bin, source: "tlm_path" });
  });

  it.each([
    ["missing", (d: string) => join(d, "nope")],
    ["not executable", (d: string) => exe(join(d, "tlm"), 0o644)],
    ["a directory", (d: string) => (mkdirSync(join(d, "tlmdir")), join(d, "tlmdir"))],
  ])("rejects an absolute tlm_path that is %s, without falling back", (_n, make) => {
    const bin = make(dir);
    exe(join(dir, "bin", "tlm")); // a tlm on PATH must not be picked instead
    const r = resolveBinary(bin, { PATH: join(dir, "bin") }, noBundled);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(BinaryMissingError);
    expect(r.error).toMatchObject({ code: "SIDECAR_BINARY_MISSING", reason: "binary_missing", tlmPath: bin, searched: [bin] });
    expect(r.error.message).toContain(bin);
  });

  it("resolves a relative tlm_path with a slash against the working directory", () => {
    const bin = exe(join(dir, "rel", "tlm"));
    const rel = `./${relative(process.cwd(), bin)}`;
    expect(resolveBinary(rel, { PATH: "" }, noBundled)).toEqual({ ok: true, path: bin, source: "tlm_path" });
  });

  it("looks a bare tlm_path up on PATH, in PATH order", () => {
    const second = exe(join(dir, "b", "my-tlm"));
    mkdirSync(join(dir, "a"));
    expect(resolveBinary("my-tlm", { PATH: `${join(dir, "a")}:relative/dir::${join(dir, "b")}` }, noBundled)).toEqual({
      ok: true,
      path: second,
      source: "tlm_path",
    });
    const first = exe(join(dir, "a", "my-tlm"));
    expect(resolveBinary("my-tlm", { PATH: `${join(dir, "a")}:${join(dir, "b")}` }, noBundled)).toMatchObject({ path: first });
  });

  it("fails for a bare tlm_path not on PATH, even when tlm is", () => {
    exe(join(dir, "bin", "tlm"));
    const r = resolveBinary("other-tlm", { PATH: join(dir, "bin") }, noBundled);
    expect(r).toMatchObject({ ok: false, error: { code: "SIDECAR_BINARY_MISSING", searched: [join(dir, "bin", "other-tlm")] } });
  });

  it("without tlm_path, prefers tlm on PATH", () => {
    const bin = exe(join(dir, "bin", "tlm"));
    expect(resolveBinary(undefined, { PATH: join(dir, "bin") })).toEqual({ ok: true, path: bin, source: "PATH" });
    expect(resolveBinary("  ", { PATH: join(dir, "bin") })).toEqual({ ok: true, path: bin, source: "PATH" });
  });

  it("without tlm_path and no tlm on PATH, falls back to the tlm shipped with @recall/tlm", () => {
    const r = resolveBinary(undefined, { PATH: join(dir, "empty") });
    expect(r).toMatchObject({ ok: true, source: "bundled" });
    if (r.ok) expect(r.path).toMatch(/tlm\/bin\/tlm\.js$/);
  });

  it("reads bin.tlm of the resolved package.json", () => {
    const pkg = join(dir, "pkg");
    exe(join(pkg, "cli", "run.js"), 0o644); // run with node: need not be executable
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "@recall/tlm", bin: { tlm: "./cli/run.js" } }));
    const r = resolveBinary(undefined, { PATH: "" }, { resolveBundledPackageJson: () => join(pkg, "package.json") });
    expect(r).toEqual({ ok: true, path: join(pkg, "cli", "run.js"), source: "bundled" });
  });

  it.each([
    ["unresolvable", () => null],
    ["throwing", () => { throw new Error("Cannot find package"); }],
    ["without bin", (d: string) => (writeFileSync(join(d, "package.json"), "{}"), join(d, "package.json"))],
    ["with a bin file that is missing", (d: string) => (writeFileSync(join(d, "package.json"), '{"bin":{"tlm":"x.js"}}'), join(d, "package.json"))],
  ])("fails with BinaryMissingError when @recall/tlm is %s", (_n, make) => {
    const r = resolveBinary(undefined, { PATH: join(dir, "empty") }, { resolveBundledPackageJson: () => make(dir) });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(BinaryMissingError);
      expect(r.error.tlmPath).toBeUndefined();
      expect(r.error.searched).toContain("@recall/tlm");
      expect(r.error.message).toMatch(/tlm_path/);
    }
  });
});
