import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/** Every .ts/.mts/.js/.mjs file under `dir`, skipping dist, node_modules and test folders. */
function shippedSources(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === "node_modules" || name === "dist" || name === "__tests__") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) shippedSources(p, out);
    else if (/\.(m?ts|m?js)$/.test(name) && !/\.test\.m?[tj]s$/.test(name)) out.push(p);
  }
  return out;
}

describe("@recall/test-utils stays in tests", () => {
  it("no shipped source (src/ outside __tests__) of any package or app imports it", () => {
    const roots = ["packages", "apps"].flatMap((d) => readdirSync(join(ROOT, d)).map((n) => join(ROOT, d, n, "src")));
    const files = roots.flatMap((r) => (r.includes(`${join("packages", "test-utils")}`) ? [] : shippedSources(r)));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) => readFileSync(f, "utf8").includes("@recall/test-utils")).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it("is private and left out of nx release", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "packages/test-utils/package.json"), "utf8")) as { private?: boolean };
    expect(pkg.private).toBe(true);
    const nx = JSON.parse(readFileSync(join(ROOT, "nx.json"), "utf8")) as { release: { projects: string[] } };
    expect(nx.release.projects).toContain("!packages/test-utils");
  });
});
