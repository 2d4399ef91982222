import { chmod, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as safeFs from "@recall/safe-fs";
import { makeDir } from "@recall/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Puller, checkBundleRoot, checkPrivateDir, recoverBundleRoot, PullerError } from "../../src/index";
import { capture, makeBundle, removeTree, startEndpoint, tempDir } from "../helpers";

// Tests run as root (the brief of this suite): chown to 65534 (nobody) makes "owned by someone else".
const NOBODY = 65534;
const me = process.getuid!();

let base: string;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  base = await tempDir("privdir-");
  await chmod(base, 0o755);
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c().catch(() => {});
  await removeTree(base);
});

const dir = (rel: string, mode: number, owner?: number): Promise<string> => makeDir(base, rel, mode, owner);

describe("checkPrivateDir", () => {
  it("is @recall/safe-fs's rule (its tests live there), re-exported under the same name; checkBundleRoot builds on it", async () => {
    expect(checkPrivateDir).toBe(safeFs.checkPrivateDir);
    const open = await dir("open", 0o777);
    expect(await checkBundleRoot(open)).toEqual(await safeFs.checkPrivateDir(open));
    expect(await checkBundleRoot(open)).toMatchObject({ ok: false, culprit: open, fix: `chmod 700 ${open}` });
    const ok = await dir("ok", 0o700);
    expect(await checkBundleRoot(ok)).toEqual({ ok: true, path: ok });
  });

  it.runIf(me === 0)("refuses a bundle root owned by another uid (root only: chown)", async () => {
    const d = await dir("theirs", 0o700, NOBODY);
    expect(await checkBundleRoot(d)).toMatchObject({ ok: false, culprit: d, problem: expect.stringContaining(`owned by uid ${NOBODY}`) });
  });
});

describe("a planted staging/ or bundles/ symlink is never followed", () => {
  async function plantedRoot(sub: "staging" | "bundles"): Promise<{ root: string; canaryDir: string; canary: string }> {
    const root = await dir("root", 0o700);
    const canaryDir = await dir("elsewhere", 0o700);
    await mkdir(join(canaryDir, "old-staged"));
    const canary = join(canaryDir, "old-staged", "canary.txt");
    await writeFile(canary, "must survive");
    await writeFile(join(canaryDir, "top-canary"), "must survive too");
    await symlink(canaryDir, join(root, sub));
    if (sub === "bundles") await mkdir(join(root, "staging"));
    return { root, canaryDir, canary };
  }
  const survived = async (canaryDir: string, canary: string) => {
    expect(await readFile(canary, "utf8")).toBe("must survive");
    expect((await readdir(canaryDir)).sort()).toEqual(["old-staged", "top-canary"]);
  };

  it.each(["staging", "bundles"] as const)("checkBundleRoot refuses a symlinked %s with the fix", async (sub) => {
    const { root } = await plantedRoot(sub);
    const r = await checkBundleRoot(root);
    expect(r).toMatchObject({ ok: false, culprit: join(root, sub), problem: expect.stringContaining("a symlink"), fix: `remove it (rm ${join(root, sub)}); recall recreates it` });
  });

  it.each(["staging", "bundles"] as const)("crash recovery throws PULLER_UNSAFE_DIR on a symlinked %s; the target's files survive", async (sub) => {
    const { root, canaryDir, canary } = await plantedRoot(sub);
    const err = await recoverBundleRoot(root).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PullerError);
    expect((err as PullerError).code).toBe("PULLER_UNSAFE_DIR");
    await survived(canaryDir, canary);
  });

  it.each(["staging", "bundles"] as const)("a pull fails unsafe_dir on a symlinked %s, touches nothing, and audits", async (sub) => {
    const { root, canaryDir, canary } = await plantedRoot(sub);
    const ep = await startEndpoint(await makeBundle(base, "b1"));
    closers.push(() => ep.close());
    const cap = capture();
    const o = await new Puller({ endpoint: ep.url, apiKey: "k-0123456789", bundleRoot: root, audit: cap.audit, logger: cap.logger }).tick();
    expect(o).toMatchObject({ outcome: "failed", reason: "unsafe_dir" });
    expect(ep.requests).toEqual([]);
    expect(cap.events).toContainEqual({ event: "memory_bundle_install_failed", fields: { reason: "unsafe_dir" } });
    await survived(canaryDir, canary);
  });

  it("a tenant switch with a planted bundles/ link after the check removes the link, not the target", async () => {
    // the check runs before the wipe; this covers a link that appears between them: rm never follows it
    const { removeInside } = await import("../../src/safe-remove");
    const root = await dir("root2", 0o700);
    const canaryDir = await dir("elsewhere2", 0o700);
    await writeFile(join(canaryDir, "canary"), "x");
    await symlink(canaryDir, join(root, "bundles"));
    await removeInside(root, join(root, "bundles"));
    expect(await readFile(join(canaryDir, "canary"), "utf8")).toBe("x");
    // and a path that leads out of the root through a link is refused, nothing removed
    await symlink(canaryDir, join(root, "staging"));
    await expect(removeInside(root, join(root, "staging", "canary"))).rejects.toMatchObject({ code: "PULLER_UNSAFE_DIR" });
    await expect(removeInside(root, join(base, "elsewhere2"))).rejects.toMatchObject({ code: "PULLER_UNSAFE_DIR" });
    expect(await readFile(join(canaryDir, "canary"), "utf8")).toBe("x");
  });
});
