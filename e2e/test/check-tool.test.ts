// tools/check.mjs (every project's `check` target, what `npm test` typechecks and lints with): one TypeScript program
// for both. It must report what `tsc --noEmit -p tsconfig.json` and `eslint .` report apart, type-aware rules
// included, and fail the same way. Run on a small project in a temporary directory that uses the repository's own
// compiler options and ESLint config.
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const CHECK = join(REPO, "tools/check.mjs");
const BIN = join(REPO, "node_modules/.bin");

const BROKEN = `export async function later(): Promise<number> { await Promise.resolve(); return 1; }
export function bad(): void {
  const n: number = "x";
  later();
  void n;
}
`;
const FIXED = `export async function later(): Promise<number> { await Promise.resolve(); return 1; }
export async function good(): Promise<number> {
  const n: number = await later();
  return n;
}
`;

let dir: string;

async function project(source: string): Promise<string> {
  const root = await mkdtemp(join(dir, "p-"));
  await mkdir(join(root, "src"));
  await writeFile(join(root, "package.json"), '{ "type": "module" }\n');
  await writeFile(join(root, "eslint.config.js"), `export { default } from ${JSON.stringify(join(REPO, "eslint.config.js"))};\n`);
  await writeFile(join(root, "tsconfig.json"), JSON.stringify({
    extends: join(REPO, "tsconfig.base.json"), compilerOptions: { typeRoots: [join(REPO, "node_modules/@types")] }, include: ["src"],
  }));
  await writeFile(join(root, "src/a.ts"), source);
  // Plain JavaScript is linted without type information, as in the repository.
  await writeFile(join(root, "src/tool.mjs"), "export const answer = () => 42;\n");
  return root;
}

// Plain text whatever the environment: nx runs its tasks with FORCE_COLOR set, and ESLint's formatter then colours.
const run = async (cwd: string, file: string, args: string[] = []) => {
  const r = await execa(file, args, { cwd, reject: false, env: { NO_COLOR: "1", FORCE_COLOR: "0" } });
  return { exitCode: r.exitCode, stdout: stripVTControlCharacters(r.stdout), stderr: stripVTControlCharacters(r.stderr) };
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "recall-check-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("tools/check.mjs", () => {
  it("reports a type error and a type-aware lint error, as tsc and eslint apart do, and exits 1", async () => {
    const root = await project(BROKEN);
    const [check, tsc, eslint] = await Promise.all([
      run(root, process.execPath, [CHECK]),
      run(root, join(BIN, "tsc"), ["--noEmit", "-p", "tsconfig.json"]),
      run(root, join(BIN, "eslint"), ["."]),
    ]);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toContain("src/a.ts(3,9): error TS2322");
    expect(check.stdout).toMatch(/4:3\s+error\s+Promises must be awaited.*@typescript-eslint\/no-floating-promises/);
    expect(check.stderr).toContain("1 type errors");
    expect(check.stderr).toContain("1 lint errors");
    // The same findings as the two tools give apart (the lint's type-aware rule had its types).
    const tsCodes = (s: string) => [...s.matchAll(/\((\d+),(\d+)\): error (TS\d+)/g)].map((m) => m.slice(1).join(" "));
    const lintRules = (s: string) => [...s.matchAll(/^\s+(\d+:\d+)\s+error\s+.*?\s(\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(tsc.exitCode).not.toBe(0);
    expect(tsCodes(check.stdout)).toEqual(["3 9 TS2322"]);
    expect(tsCodes(check.stdout)).toEqual(tsCodes(tsc.stdout));
    expect(eslint.exitCode).toBe(1);
    expect(lintRules(check.stdout)).toEqual(["4:3 @typescript-eslint/no-floating-promises"]);
    expect(lintRules(check.stdout)).toEqual(lintRules(eslint.stdout));
  });

  it("exits 0 on a clean project and says what it checked", async () => {
    const root = await project(FIXED);
    const check = await run(root, process.execPath, [CHECK]);
    expect(check.stdout).toBe("");
    expect(check.stderr).toMatch(/check: 1 files typechecked, 0 type errors; 3 files linted, 0 lint errors, 0 warnings/);
    expect(check.exitCode).toBe(0);
  });

  it("--ignore keeps a nested project's files out of the lint (tools/ holds tools/registry-check)", async () => {
    const root = await project(FIXED);
    await mkdir(join(root, "nested"));
    await writeFile(join(root, "nested/bad.mjs"), "export const f = () => undefinedName;\n");
    const all = await run(root, process.execPath, [CHECK]);
    expect(all.exitCode).toBe(1);
    expect(all.stdout).toMatch(/nested\/bad\.mjs[\s\S]*no-undef/);
    const ignored = await run(root, process.execPath, [CHECK, "--ignore", "nested/**"]);
    expect(ignored.stdout).toBe("");
    expect(ignored.stderr).toContain("3 files linted, 0 lint errors");
    expect(ignored.exitCode).toBe(0);
  });

  it("exits 2 on an argument it does not know, or --ignore without its glob, saying which", async () => {
    const root = await project(FIXED);
    for (const [args, says] of [[["--fix"], 'unknown argument "--fix"'], [["--ignore"], "--ignore needs a glob"]] as const) {
      const check = await run(root, process.execPath, [CHECK, ...args]);
      expect(check.exitCode, args.join(" ")).toBe(2);
      expect(check.stderr).toContain(`check: ${says} (usage: check.mjs [--ignore <glob>]...)`);
    }
  });

  it("exits 2 where there is no tsconfig.json to check", async () => {
    const empty = await mkdtemp(join(dir, "empty-"));
    const check = await run(empty, process.execPath, [CHECK]);
    expect(check.exitCode).toBe(2);
    expect(check.stderr).toContain("no tsconfig.json");
  });
});
