import { afterEach, describe, expect, it } from "vitest";
import { chmod, chown, lstat, mkdir, rm, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { exampleRecords, installBundle, spawnTlm, stopChild, tempDir, waitHealthy, type TlmChild } from "./harness";

// tlm refuses, as ssh does with key files, a socket directory or bundle root that another user owns or can write.
// The chmod cases run as any user; the chown cases need root (this CI runs as root) and are guarded.

const isRoot = process.getuid?.() === 0;
const OTHER_UID = 65534;
const dirs: string[] = [];
const children: TlmChild[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function fresh(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  return d;
}

/** Runs `tlm serve`, which must refuse and exit; after 30 s it is killed (and the test fails), so nothing is left running. */
async function serveRefused(socket: string, bundleRoot: string): Promise<{ code: number | null; stderr: string }> {
  const t = spawnTlm(["serve", "--socket", socket, "--bundle-root", bundleRoot, "--poll-interval", "0"]);
  children.push(t);
  const guard = setTimeout(() => t.child.kill("SIGKILL"), 30_000);
  try {
    const { code } = await t.exited;
    return { code, stderr: t.stderr() };
  } finally {
    clearTimeout(guard);
  }
}

describe("tlm serve refuses unsafe directories (exit 2, the fix in the message)", () => {
  for (const mode of [0o777, 0o770, 0o707, 0o720, 0o702]) {
    it(`a socket directory with mode ${mode.toString(8)}`, async () => {
      const d = await fresh();
      const run = join(d, "run");
      await mkdir(run);
      await chmod(run, mode);
      const r = await serveRefused(join(run, "tlm.sock"), join(d, "root"));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`refusing to use socket directory ${run}`);
      expect(r.stderr).toContain(`fix: chmod 700 ${run}`);
      expect(r.stderr).toContain("TLM_UNSAFE_DIR");
      await expect(lstat(join(run, "tlm.sock"))).rejects.toThrow();
    });

    it(`a bundle root with mode ${mode.toString(8)}`, async () => {
      const d = await fresh();
      const root = join(d, "root");
      await installBundle(root, "b0001", await exampleRecords());
      await chmod(root, mode);
      const r = await serveRefused(join(d, "run", "tlm.sock"), root);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`refusing to use bundle root ${root}`);
      expect(r.stderr).toContain(`fix: chmod 700 ${root}`);
    });
  }

  it.runIf(isRoot)("a missing socket directory under a parent another user owns (root only: chown): the parent is named", async () => {
    const d = await fresh();
    const parent = join(d, "theirs");
    await mkdir(parent, { mode: 0o755 });
    await chown(parent, OTHER_UID, OTHER_UID);
    const r = await serveRefused(join(parent, "run", "tlm.sock"), join(d, "root"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${parent} (a parent of ${join(parent, "run")}) is owned by uid ${OTHER_UID}`);
  });

  it.runIf(isRoot)("a socket directory owned by another user (root only: chown)", async () => {
    const d = await fresh();
    const run = join(d, "run");
    await mkdir(run, { mode: 0o700 });
    await chown(run, OTHER_UID, OTHER_UID);
    const r = await serveRefused(join(run, "tlm.sock"), join(d, "root"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is owned by uid ${OTHER_UID}`);
    expect(r.stderr).toContain(`fix: chown ${process.getuid!()} ${run}`);
  });

  it.runIf(isRoot)("a bundle root owned by another user (root only: chown)", async () => {
    const d = await fresh();
    const root = join(d, "root");
    await installBundle(root, "b0001", await exampleRecords());
    await chown(root, OTHER_UID, OTHER_UID);
    const r = await serveRefused(join(d, "run", "tlm.sock"), root);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing to use bundle root ${root}`);
    expect(r.stderr).toContain(`is owned by uid ${OTHER_UID}`);
  });

  it.runIf(isRoot)("a socket directory that is a symlink to a directory another user owns (root only: chown)", async () => {
    const d = await fresh();
    const theirs = join(d, "theirs");
    await mkdir(theirs, { mode: 0o700 });
    await chown(theirs, OTHER_UID, OTHER_UID);
    const run = join(d, "run");
    await symlink(theirs, run);
    const r = await serveRefused(join(run, "tlm.sock"), join(d, "root"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${run} (a symlink to ${theirs}) is owned by uid ${OTHER_UID}`);
  });

  it("a missing socket directory under a world-writable parent without the sticky bit (a fresh Kubernetes emptyDir): the parent and chmod go-w are named", async () => {
    const d = await fresh();
    const parent = join(d, "shared");
    await mkdir(parent);
    await chmod(parent, 0o777);
    const r = await serveRefused(join(parent, "run", "tlm.sock"), join(d, "root"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing to use socket directory ${join(parent, "run")}: ${parent} (a parent of ${join(parent, "run")}) is writable by group or others (mode 0777) without the sticky bit`);
    expect(r.stderr).toContain(`fix: chmod go-w ${parent}`);
    await expect(lstat(join(parent, "run"))).rejects.toThrow();
  });
});

describe("tlm serve accepts safe directories", () => {
  it("creates a missing socket directory 0700 under a sticky world-writable parent (like /tmp), socket 0600", async () => {
    const d = await fresh();
    const parent = join(d, "shared");
    await mkdir(parent);
    await chmod(parent, 0o1777);
    const sock = join(parent, "run", "tlm.sock");
    const t = spawnTlm(["serve", "--socket", sock, "--bundle-root", join(d, "root"), "--poll-interval", "0"]);
    children.push(t);
    await waitHealthy(t, sock);
    expect((await stat(join(parent, "run"))).mode & 0o777).toBe(0o700);
    expect((await lstat(sock)).mode & 0o777).toBe(0o600);
  });

  it("an existing socket directory 0755 it owns, and a symlinked socket directory it owns", async () => {
    const d = await fresh();
    const real = join(d, "real");
    await mkdir(real);
    await chmod(real, 0o755);
    await symlink(real, join(d, "link"));
    for (const dir of [real, join(d, "link")]) {
      const sock = join(dir, "tlm.sock");
      const t = spawnTlm(["serve", "--socket", sock, "--bundle-root", join(d, "root"), "--poll-interval", "0"]);
      children.push(t);
      await waitHealthy(t, sock);
      await stopChild(t);
    }
  });
});
