import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { checkDeclaredDeps, importedPackages, packageNameOf, workspaceProjects } from "../declared-deps";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const rootDev = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { devDependencies: Record<string, string> })
  .devDependencies;

describe("every workspace project declares exactly what it imports", () => {
  const projects = workspaceProjects(root);

  it("finds every package, app and private project", () => {
    const names = projects.map((d) => basename(d));
    for (const p of ["ports", "protocol", "config", "bundle", "client", "sidecar", "supervisor", "puller", "service", "tlm", "cli", "daemon", "e2e"]) {
      expect(names).toContain(p);
    }
  });

  it.each(projects.map((d) => [d.slice(root.length + 1), d]))("%s", (_rel, dir) => {
    expect(checkDeclaredDeps(dir, rootDev)).toEqual([]);
  });
});

describe("importedPackages", () => {
  it("reads static, side-effect, dynamic, require and resolve specifiers, not comments or builtins", () => {
    const src = [
      'import { a } from `@scope/a/sub`;',
      "import type { B } from `b`;",
      'export { c } from `c/deep/path.js`;',
      'import `side-effect`;',
      'const d = await import(`d`);',
      'const e = require(`e`);',
      'createRequire(import.meta.url).resolve(`@scope/f/package.json`);',
      'import.meta.resolve(`g/package.json`);',
      'import { x } from `./local.js`;',
      'import { y } from `node:fs`;',
      'import { z } from `fs`;',
      '// import { no } from `commented`;',
      '/* import { no2 } from `block-commented`; */',
      'const url = "http://example.com/x"; // not a comment start inside the string above',
    ].join("\n").replaceAll("`", '"');
    expect([...importedPackages(src)].sort()).toEqual(["@scope/a", "@scope/f", "b", "c", "d", "e", "g", "side-effect"]);
  });

  it("maps specifiers to package names", () => {
    expect(packageNameOf("@recall/tlm/package.json")).toBe("@recall/tlm");
    expect(packageNameOf("zod/v4")).toBe("zod");
    expect(packageNameOf("node:path")).toBeNull();
    expect(packageNameOf("path")).toBeNull();
    expect(packageNameOf("../x")).toBeNull();
    expect(packageNameOf("#internal")).toBeNull();
  });
});

describe("checkDeclaredDeps finds each kind of mismatch", () => {
  let dir = "";
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = "";
  });

  function project(pkg: object, files: Record<string, string>): string {
    dir = mkdtempSync(join(tmpdir(), "recall-deps-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "@x/p", exports: "./dist/index.js", ...pkg }));
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text.replaceAll("`", '"'));
    }
    return dir;
  }

  it("undeclared runtime import, unused dependency, test-only dependency, unused devDependency", () => {
    const d = project(
      { dependencies: { used: "1", unused: "1", testonly: "1" }, devDependencies: { "dev-unused": "1", "@types/used": "1" } },
      {
        "src/index.ts": 'import `used`;\nimport `missing`;\nimport `@x/p/self`;',
        "src/__tests__/a.test.ts": 'import `testonly`;\nimport `vitest`;',
        "test/integration/b.test.ts": 'import `not-anywhere`;',
      },
    );
    const findings = checkDeclaredDeps(d, { vitest: "1" });
    expect(findings).toEqual(
      expect.arrayContaining([
        { project: "@x/p", kind: "undeclared", dependency: "missing", file: "src/index.ts" },
        { project: "@x/p", kind: "undeclared", dependency: "not-anywhere", file: "test/integration/b.test.ts" },
        { project: "@x/p", kind: "unused", dependency: "unused" },
        { project: "@x/p", kind: "test-only", dependency: "testonly" },
        { project: "@x/p", kind: "unused", dependency: "dev-unused" },
      ]),
    );
    expect(findings).toHaveLength(5);
  });

  it("a runtime import declared only as a devDependency is undeclared in a published package, fine in a private (bundled) app", () => {
    const files = { "src/index.ts": 'import `bundled`;' };
    expect(checkDeclaredDeps(project({ devDependencies: { bundled: "1" } }, files), {})).toEqual([
      { project: "@x/p", kind: "undeclared", dependency: "bundled", file: "src/index.ts" },
    ]);
    rmSync(dir, { recursive: true, force: true });
    expect(checkDeclaredDeps(project({ private: true, devDependencies: { bundled: "1" } }, files), {})).toEqual([]);
  });

  it("a subdirectory with its own package.json is another project: its imports are not this one's", () => {
    const d = project({}, { "src/index.ts": "export {};", "test/consumers/package.json": "{}", "test/consumers/x.mjs": 'import `elsewhere`;' });
    expect(checkDeclaredDeps(d, {})).toEqual([]);
  });

  it("a project that ships nothing (no exports, main or bin) is all test code: root devDependencies count", () => {
    const files = { "src/harness.ts": 'import `vitest`;\nimport `nowhere`;' };
    expect(checkDeclaredDeps(project({ exports: undefined, private: true }, files), { vitest: "1" })).toEqual([
      { project: "@x/p", kind: "undeclared", dependency: "nowhere", file: "src/harness.ts" },
    ]);
  });
});
