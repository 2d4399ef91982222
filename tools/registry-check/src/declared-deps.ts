import { builtinModules } from "node:module";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** What a workspace project's package.json declares. */
export interface Manifest {
  name: string;
  private?: boolean;
  exports?: unknown;
  main?: string;
  bin?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** One mismatch between a project's imports and its package.json. */
export interface DepFinding {
  project: string;
  /**
   * `undeclared`: imported but not declared where it must be;
   * `unused`: declared but never imported;
   * `test-only`: a runtime dependency that only tests import (belongs in devDependencies).
   */
  kind: "undeclared" | "unused" | "test-only";
  dependency: string;
  /** The first file that imports it (for `undeclared`), relative to the project. */
  file?: string;
}

/** The package names a source text imports, requires or resolves (comments ignored). */
export function importedPackages(source: string): Set<string> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/(^|[\s;{}(),])\/\/.*$/gm, "$1");
  const found = new Set<string>();
  const patterns = [
    /\bfrom\s*["']([^"'\n]+)["']/g,
    /\bimport\s*["']([^"'\n]+)["']/g,
    /\bimport\s*\(\s*["']([^"'\n]+)["']\s*[,)]/g,
    /\brequire\s*\(\s*["']([^"'\n]+)["']\s*\)/g,
    /\.resolve\s*\(\s*["']([^"'\n]+)["']\s*[,)]/g,
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      const name = packageNameOf(m[1]!);
      if (name !== null) found.add(name);
    }
  }
  return found;
}

const BUILTINS = new Set(builtinModules);

/** `@scope/pkg/sub` → `@scope/pkg`, `pkg/sub` → `pkg`; null for relative, absolute, `node:` and builtin specifiers. */
export function packageNameOf(specifier: string): string | null {
  if (/^[./#]/.test(specifier) || specifier.startsWith("node:") || specifier.includes(":")) return null;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  if (!/^(@[a-z0-9._~-]+\/)?[a-z0-9._~-]+$/i.test(name)) return null;
  if (BUILTINS.has(name)) return null;
  return name;
}

const SOURCE_EXT = /\.(ts|mts|cts|js|mjs|cjs|tsx)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".nx", "coverage", ".recall"]);

/** Source files of a project; a subdirectory with its own package.json is another project and is skipped. */
function walk(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      const sub = join(dir, entry.name);
      if (!SKIP_DIRS.has(entry.name) && !exists(join(sub, "package.json"))) walk(sub, out);
    } else if (entry.isFile() && SOURCE_EXT.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

/** Runtime files ship in the package: `src/` outside `__tests__`, and `bin/`. Everything else is test or tooling. */
export function isRuntimeFile(relPath: string): boolean {
  const p = relPath.split("\\").join("/");
  if (p.startsWith("bin/")) return true;
  return p.startsWith("src/") && !p.includes("/__tests__/") && !/\.(test|spec)\.[a-z]+$/.test(p);
}

/**
 * Compares a project's imports with its package.json, both ways. Runtime
 * imports must be `dependencies` or `peerDependencies` (or, for a private,
 * bundled app, `devDependencies`); test imports may also use the project's
 * `devDependencies` or the workspace root's. Every declared dependency must be
 * imported somewhere (an `@types/x` counts as used when `x` is, `@types/node`
 * always); a runtime dependency that only tests import is `test-only`. A
 * project with no `exports`, `main` or `bin` ships nothing, so all of its
 * files count as test code.
 */
export function checkDeclaredDeps(projectDir: string, rootDevDependencies: Record<string, string>): DepFinding[] {
  const manifest = JSON.parse(readFileSync(join(projectDir, "package.json"), "utf8")) as Manifest;
  const deps = new Set(Object.keys(manifest.dependencies ?? {}));
  const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
  const peer = new Set(Object.keys(manifest.peerDependencies ?? {}));
  const rootDev = new Set(Object.keys(rootDevDependencies));
  // A project with no exports, main or bin (e2e) ships nothing: all of it is test code.
  const ships = manifest.exports !== undefined || manifest.main !== undefined || manifest.bin !== undefined;
  const runtimeUse = new Map<string, string>();
  const testUse = new Map<string, string>();
  for (const file of walk(projectDir, [])) {
    const rel = relative(projectDir, file);
    const target = ships && isRuntimeFile(rel) ? runtimeUse : testUse;
    for (const name of importedPackages(readFileSync(file, "utf8"))) {
      if (name !== manifest.name && !target.has(name)) target.set(name, rel);
    }
  }
  const findings: DepFinding[] = [];
  const project = manifest.name;
  for (const [name, file] of runtimeUse) {
    const ok = deps.has(name) || peer.has(name) || (manifest.private === true && dev.has(name));
    if (!ok) findings.push({ project, kind: "undeclared", dependency: name, file });
  }
  for (const [name, file] of testUse) {
    if (!(deps.has(name) || dev.has(name) || peer.has(name) || rootDev.has(name))) {
      findings.push({ project, kind: "undeclared", dependency: name, file });
    }
  }
  const used = (name: string) => runtimeUse.has(name) || testUse.has(name);
  const typesUsed = (name: string) => {
    if (!name.startsWith("@types/")) return false;
    const bare = name.slice("@types/".length);
    const target = bare.includes("__") ? `@${bare.replace("__", "/")}` : bare;
    return target === "node" || used(target);
  };
  for (const name of deps) {
    if (!runtimeUse.has(name) && !typesUsed(name)) {
      findings.push({ project, kind: testUse.has(name) ? "test-only" : "unused", dependency: name });
    }
  }
  for (const name of [...dev, ...peer]) {
    if (!used(name) && !typesUsed(name)) findings.push({ project, kind: "unused", dependency: name });
  }
  return findings;
}

/** Every workspace project directory (the root package.json `workspaces`, `dir/*` globs expanded). */
export function workspaceProjects(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  const dirs: string[] = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith("/*")) {
      const base = join(root, pattern.slice(0, -2));
      for (const name of readdirSync(base).sort()) {
        const dir = join(base, name);
        if (statSync(dir).isDirectory() && exists(join(dir, "package.json"))) dirs.push(dir);
      }
    } else if (exists(join(root, pattern, "package.json"))) {
      dirs.push(join(root, pattern));
    }
  }
  return dirs;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
