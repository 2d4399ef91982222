import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeInside, SafeFsError } from "../../src/index";

let base: string;
let root: string;
let elsewhere: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "rmin-"));
  root = join(base, "root");
  elsewhere = join(base, "elsewhere");
  await mkdir(join(root, "staging", "old"), { recursive: true });
  await writeFile(join(root, "staging", "old", "f"), "x");
  await mkdir(elsewhere);
  await writeFile(join(elsewhere, "canary"), "must survive");
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const survived = async () => {
  expect(await readFile(join(elsewhere, "canary"), "utf8")).toBe("must survive");
  expect(await readdir(elsewhere)).toEqual(["canary"]);
};

describe("removeInside", () => {
  it("removes a tree inside the root; a missing target or parent is fine", async () => {
    await removeInside(root, join(root, "staging", "old"));
    expect(await readdir(join(root, "staging"))).toEqual([]);
    await expect(removeInside(root, join(root, "staging", "gone"))).resolves.toBeUndefined();
    await expect(removeInside(root, join(root, "no", "such", "thing"))).resolves.toBeUndefined();
  });

  it("removes a symlink at the target itself, never what it points to", async () => {
    await symlink(elsewhere, join(root, "bundles"));
    await removeInside(root, join(root, "bundles"));
    await expect(readdir(join(root))).resolves.toEqual(["staging"]);
    await survived();
  });

  it("refuses (SAFE_FS_LINK_ESCAPE) a path that leads out of the root through a symlink; nothing is removed", async () => {
    await symlink(elsewhere, join(root, "linked"));
    const err = await removeInside(root, join(root, "linked", "canary")).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SafeFsError);
    expect(err).toMatchObject({ code: "SAFE_FS_LINK_ESCAPE", path: join(root, "linked", "canary") });
    await survived();
  });

  it.each([
    ["the root itself", () => root],
    ["a sibling of the root", () => elsewhere],
    ["a path climbing out with ..", () => join(root, "..", "elsewhere")],
  ])("refuses (SAFE_FS_NOT_INSIDE) %s; nothing is removed", async (_name, target) => {
    await expect(removeInside(root, target())).rejects.toMatchObject({ code: "SAFE_FS_NOT_INSIDE" });
    await survived();
    expect(await readFile(join(root, "staging", "old", "f"), "utf8")).toBe("x");
  });
});
