import { chmod, lchown, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeDir } from "@recall/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkPrivateDir } from "../../src/index";

// Real directories. "Owned by someone else" needs chown, so those cases run as root only (this CI runs as root);
// the mode cases run as any user.
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const me = process.getuid!();

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "privdir-"));
  await chmod(base, 0o755);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

const dir = (rel: string, mode: number, owner?: number): Promise<string> => makeDir(base, rel, mode, owner);

describe("checkPrivateDir", () => {
  it("accepts a private directory we own, and a missing one under safe parents", async () => {
    const d = await dir("ok", 0o700);
    expect(await checkPrivateDir(d)).toEqual({ ok: true, path: d });
    expect(await checkPrivateDir(join(d, "not", "yet"))).toEqual({ ok: true, path: join(d, "not", "yet") });
    // a readable 0755 directory is fine: nobody else can write into it
    expect((await checkPrivateDir(await dir("ro", 0o755))).ok).toBe(true);
  });

  it.each([
    [0o777, /writable by group or others \(mode 0777\)/],
    [0o770, /writable by group or others \(mode 0770\)/],
    [0o707, /mode 0707/],
    [0o720, /mode 0720/],
    [0o702, /mode 0702/],
    [0o1777, /mode 01777/],
  ])("refuses the directory itself at mode %s (even sticky), with the chmod fix", async (mode, problem) => {
    const d = await dir("shared", mode);
    const r = await checkPrivateDir(d);
    expect(r).toMatchObject({ ok: false, path: d, culprit: d, problem: expect.stringMatching(problem), fix: `chmod 700 ${d}` });
  });

  it("refuses when a parent is group/other-writable without the sticky bit (a fresh Kubernetes emptyDir); a sticky one (like /tmp) is fine", async () => {
    const open = await dir("open", 0o777);
    await mkdir(join(open, "mine"), { mode: 0o700 });
    const r = await checkPrivateDir(join(open, "mine"));
    expect(r).toMatchObject({ ok: false, culprit: open, problem: `${open} (a parent of ${join(open, "mine")}) is writable by group or others (mode 0777) without the sticky bit` });
    if (!r.ok) expect(r.fix).toContain(`chmod go-w ${open}`);
    // the directory does not exist yet: judged by the same parent
    expect((await checkPrivateDir(join(open, "later"))).ok).toBe(false);
    const sticky = await dir("sticky", 0o1777);
    await mkdir(join(sticky, "mine"), { mode: 0o700 });
    expect((await checkPrivateDir(join(sticky, "mine"))).ok).toBe(true);
    expect((await checkPrivateDir(join(sticky, "later", "deeper"))).ok).toBe(true);
    const group = await dir("group", 0o770);
    expect((await checkPrivateDir(join(group, "x"))).ok).toBe(false);
  });

  it("refuses a file where a directory should be, and a dangling symlink", async () => {
    const f = join(base, "file");
    await writeFile(f, "x");
    expect(await checkPrivateDir(f)).toMatchObject({ ok: false, culprit: f, problem: `${f} is not a directory`, fix: `remove it (rm ${f}) or choose another directory` });
    const dangling = join(base, "dangling");
    await symlink(join(base, "nowhere"), dangling);
    expect(await checkPrivateDir(dangling)).toMatchObject({ ok: false, culprit: dangling, problem: expect.stringContaining("cannot be resolved (ENOENT)") });
  });

  it("follows our own symlink and judges its target: ours and private is fine, an open target is refused", async () => {
    const target = await dir("target", 0o700);
    const link = join(base, "link");
    await symlink(target, link);
    expect(await checkPrivateDir(link)).toEqual({ ok: true, path: link });
    const open = await dir("open-target", 0o777);
    const link2 = join(base, "to-open");
    await symlink(open, link2);
    expect(await checkPrivateDir(link2)).toMatchObject({ ok: false, culprit: link2, problem: `${link2} (a symlink to ${open}) is writable by group or others (mode 0777)`, fix: `chmod 700 ${link2}` });
  });

  it("takes the uid to judge for from the options", async () => {
    const d = await dir("mine", 0o700);
    const r = await checkPrivateDir(d, { uid: me + 4242 });
    expect(r).toMatchObject({ ok: false, culprit: d, problem: `${d} is owned by uid ${me}, not by you (uid ${me + 4242})` });
  });

  it.runIf(isRoot)("refuses a directory owned by another uid, with the chown fix (root only: chown)", async () => {
    const d = await dir("theirs", 0o700, NOBODY);
    const r = await checkPrivateDir(d);
    expect(r).toMatchObject({ ok: false, culprit: d, problem: `${d} is owned by uid ${NOBODY}, not by you (uid ${me})`, fix: `chown ${me} ${d} (or choose a directory you own)` });
  });

  it.runIf(isRoot)("refuses when a parent belongs to another uid; root-owned parents are fine (root only: chown)", async () => {
    const theirs = await dir("their-parent", 0o755, NOBODY);
    await mkdir(join(theirs, "mine"), { mode: 0o700 });
    const r = await checkPrivateDir(join(theirs, "mine"));
    expect(r).toMatchObject({ ok: false, culprit: theirs, problem: expect.stringContaining(`owned by uid ${NOBODY}`) });
    // a missing directory under it: the parent is named
    expect(await checkPrivateDir(join(theirs, "run", "x"))).toMatchObject({ ok: false, culprit: theirs });
  });

  it.runIf(isRoot)("refuses a symlink on the path planted by another uid, also in a sticky directory, and our link to their directory", async () => {
    const sticky = await dir("tmpish", 0o1777);
    const victim = await dir("victim", 0o700);
    const planted = join(sticky, "recall-bundles");
    await symlink(victim, planted);
    await lchown(planted, NOBODY, NOBODY);
    const r = await checkPrivateDir(planted);
    expect(r).toMatchObject({ ok: false, culprit: planted, problem: expect.stringContaining("is a symlink owned by uid 65534"), fix: `remove the link (rm ${planted}) and use a real directory` });
    const ours = join(sticky, "our-link");
    await symlink(victim, ours);
    expect(await checkPrivateDir(ours)).toMatchObject({ ok: true });
    const theirs = await dir("theirs", 0o700, NOBODY);
    const toTheirs = join(base, "to-theirs");
    await symlink(theirs, toTheirs);
    expect(await checkPrivateDir(toTheirs)).toMatchObject({ ok: false, problem: `${toTheirs} (a symlink to ${theirs}) is owned by uid ${NOBODY}, not by you (uid ${me})` });
  });
});
