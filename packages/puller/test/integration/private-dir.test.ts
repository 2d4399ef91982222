import { chmod, chown, lchown, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
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

async function dir(rel: string, mode: number, owner?: number): Promise<string> {
  const p = join(base, rel);
  await mkdir(p, { recursive: true });
  await chmod(p, mode);
  if (owner !== undefined) await chown(p, owner, owner);
  return p;
}

describe("checkPrivateDir", () => {
  it("accepts a private directory we own, and a missing one under safe parents", async () => {
    const d = await dir("ok", 0o700);
    expect(await checkPrivateDir(d)).toEqual({ ok: true, path: d });
    expect((await checkPrivateDir(join(d, "not", "yet"))).ok).toBe(true);
    // a readable 0755 directory is fine: nobody else can write into it
    expect((await checkPrivateDir(await dir("ro", 0o755))).ok).toBe(true);
  });

  it.each([
    [0o777, /writable by group or others \(mode 0777\)/],
    [0o770, /writable by group or others \(mode 0770\)/],
    [0o707, /mode 0707/],
    [0o1777, /mode 01777/],
  ])("refuses the directory itself at mode %s (even sticky), with the chmod fix", async (mode, problem) => {
    const d = await dir("shared", mode);
    const r = await checkPrivateDir(d);
    expect(r).toMatchObject({ ok: false, culprit: d, problem: expect.stringMatching(problem), fix: `chmod 700 ${d}` });
  });

  it("refuses a directory owned by another uid, with the chown fix", async () => {
    const d = await dir("theirs", 0o700, NOBODY);
    const r = await checkPrivateDir(d);
    expect(r).toMatchObject({ ok: false, culprit: d, problem: expect.stringContaining(`owned by uid ${NOBODY}`) });
    if (!r.ok) expect(r.fix).toContain(`chown ${me} ${d}`);
  });

  it("refuses when a parent is group/other-writable without the sticky bit; a sticky one (like /tmp) is fine", async () => {
    const open = await dir("open", 0o777);
    await mkdir(join(open, "mine"), { mode: 0o700 });
    const r = await checkPrivateDir(join(open, "mine"));
    expect(r).toMatchObject({ ok: false, culprit: open, problem: expect.stringContaining("without the sticky bit") });
    if (!r.ok) expect(r.fix).toContain(`chmod go-w ${open}`);
    // the directory does not exist yet: judged by the same parent
    expect((await checkPrivateDir(join(open, "later"))).ok).toBe(false);
    const sticky = await dir("sticky", 0o1777);
    await mkdir(join(sticky, "mine"), { mode: 0o700 });
    expect((await checkPrivateDir(join(sticky, "mine"))).ok).toBe(true);
    const group = await dir("group", 0o770);
    expect((await checkPrivateDir(join(group, "x"))).ok).toBe(false);
  });

  it("refuses when a parent belongs to another uid (root-owned parents are fine)", async () => {
    const theirs = await dir("their-parent", 0o755, NOBODY);
    await mkdir(join(theirs, "mine"), { mode: 0o700 });
    await chown(join(theirs, "mine"), me, me);
    const r = await checkPrivateDir(join(theirs, "mine"));
    expect(r).toMatchObject({ ok: false, culprit: theirs, problem: expect.stringContaining(`owned by uid ${NOBODY}`) });
  });

  it("refuses a symlink on the path planted by another uid, also in a sticky directory; follows our own", async () => {
    const sticky = await dir("tmpish", 0o1777);
    const victim = await dir("victim", 0o700);
    const planted = join(sticky, "recall-bundles");
    await symlink(victim, planted);
    await lchown(planted, NOBODY, NOBODY);
    const r = await checkPrivateDir(planted);
    expect(r).toMatchObject({ ok: false, culprit: planted, problem: expect.stringContaining("symlink owned by uid") });
    const ours = join(sticky, "our-link");
    await symlink(victim, ours);
    expect(await checkPrivateDir(ours)).toMatchObject({ ok: true });
    // our link to an unsafe directory is judged on the target
    const open = await dir("open-target", 0o777);
    const link2 = join(sticky, "to-open");
    await symlink(open, link2);
    expect(await checkPrivateDir(link2)).toMatchObject({ ok: false, problem: expect.stringContaining("mode 0777") });
  });

  it("refuses a file where a directory should be", async () => {
    const f = join(base, "file");
    await writeFile(f, "x");
    expect(await checkPrivateDir(f)).toMatchObject({ ok: false, problem: expect.stringContaining("not a directory") });
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
    expect(ep.seen).toEqual([]);
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
