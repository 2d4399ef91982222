import { readFileSync } from "node:fs";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { TLM_BIN } from "./harness";

const BUNDLED = new URL("../../dist/bin/tlm.cjs", import.meta.url);
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string; bin: Record<string, string> };

describe("the tlm executable", () => {
  it("bin/tlm.js runs the bundled CommonJS file: --version is the package's, and @recall/*, zod and tar come inlined", async () => {
    expect(pkg.bin.tlm).toBe("./bin/tlm.js");
    const { stdout, stderr } = await execa(process.execPath, [TLM_BIN, "--version"]);
    expect(stdout.trim()).toBe(pkg.version);
    expect(stderr).toBe("");
    const probe = await execa(process.execPath, [
      "-e",
      `require(${JSON.stringify(TLM_BIN)}); process.on("exit", () => { process.stdout.write("\\nLOADED " + JSON.stringify(Object.keys(require.cache))); });`,
      "--",
      "argv1",
      "--version",
    ]);
    expect(probe.stdout.split("\n")[0]).toBe(pkg.version);
    const loaded = JSON.parse(probe.stdout.slice(probe.stdout.indexOf("LOADED ") + 7)) as string[];
    // require.cache: the bin and the bundle; nothing from @recall/*, zod or tar is loaded at run time.
    expect(loaded.some((f) => f.endsWith("/dist/bin/tlm.cjs"))).toBe(true);
    expect(loaded.filter((f) => /node_modules\/(@recall|zod|tar|canonicalize|semver)\//.test(f))).toEqual([]);
  });

  it("the bundle keeps better-sqlite3 a require() of the installed native module (never inlined)", () => {
    const text = readFileSync(BUNDLED, "utf8");
    expect(text).toContain('require("better-sqlite3")');
    expect(text).not.toMatch(/\bbindings\b.*node_modules/);
    expect(text).not.toContain('require("zod")');
    expect(text).not.toMatch(/require\("@recall\//);
  });

  it("the bundle stays small, because a cold start parses all of it: no zod locales (imported as a namespace, zod tree-shakes), minified", () => {
    const text = readFileSync(BUNDLED, "utf8");
    // `import { z } from "zod"` inlined all 66 locales (1.1 MB); `import * as z` keeps English only (390 KB, minified).
    expect(text).not.toMatch(/erwartet|oczekiwano/); // German and Polish messages (esbuild escapes the non-ASCII letters)
    expect(Buffer.byteLength(text)).toBeLessThan(700 * 1024);
  });
});
