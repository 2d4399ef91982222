import { readFileSync } from "node:fs";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLISHED, WORKSPACE, consumerEnv, packageDir, removeTree, run } from "../../src/harness";

/**
 * Every published package, as `npm pack` makes it: clean under publint
 * (strict, suggestions included) and @arethetypeswrong/cli. The packages are
 * ESM-only by design, so attw runs with `--profile esm-only` (CommonJS
 * `require` resolution is not checked); everything else must be green.
 */

let work = "";
let env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "rc-lint-"));
  env = consumerEnv({ userconfig: join(work, "npmrc-none"), cache: join(work, "npm-cache") });
});

afterAll(async () => {
  await removeTree(work);
});

async function packed(short: string): Promise<{ tarball: string; files: string[] }> {
  const dest = join(work, short);
  await mkdir(dest, { recursive: true });
  const r = await run("npm", ["pack", "--json", "--pack-destination", dest], { cwd: packageDir(short), env, timeoutMs: 60_000 });
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(dest, info!.filename), files: info!.files.map((f) => f.path).sort() };
}

describe.each(PUBLISHED.map((p) => [p]))("@recall/%s as packed", (short) => {
  let pack: { tarball: string; files: string[] };
  beforeAll(async () => {
    pack = await packed(short);
  });

  it("ships dist with types, README and package.json, and no sources, tests, benches or maps of tests", () => {
    expect(pack.files).toContain("package.json");
    expect(pack.files).toContain("README.md");
    expect(pack.files).toContain("dist/index.js");
    expect(pack.files).toContain("dist/index.d.ts");
    const stray = pack.files.filter((f) => /(^|\/)(src|test|bench|__tests__)\//.test(f) || /\.test\.[a-z]+$/.test(f) || /(^|\/)tsconfig|vitest\.config|tsup\.config/.test(f));
    expect(stray).toEqual([]);
  });

  it("publint --strict reports nothing, not even a suggestion", async () => {
    const buf = readFileSync(pack.tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) },
      strict: true,
      level: "suggestion",
    });
    expect(messages.map((m) => formatMessage(m, pkg) ?? m.code)).toEqual([]);
  });

  it("@arethetypeswrong/cli (esm-only profile) finds no type resolution problem", async () => {
    const r = await run(join(WORKSPACE, "node_modules/.bin/attw"), [pack.tarball, "--profile", "esm-only", "--format", "json"], {
      cwd: work,
      env,
      allowFailure: true,
      timeoutMs: 120_000,
    });
    const report = JSON.parse(r.stdout) as { analysis: { types?: unknown }; problems?: Record<string, { kind: string; resolutionKind?: string }[]> };
    expect(report.analysis.types, "the package ships types").toBeTruthy();
    // The JSON lists every problem; the esm-only profile ignores the node10 and node16-cjs resolutions.
    const counted = Object.values(report.problems ?? {})
      .flat()
      .filter((p) => p.resolutionKind === undefined || !["node10", "node16-cjs"].includes(p.resolutionKind));
    expect(counted).toEqual([]);
    expect(r.code).toBe(0);
  });
});
