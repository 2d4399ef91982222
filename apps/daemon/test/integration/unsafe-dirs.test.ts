import { chmod, lstat, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeDir } from "@recall/test-utils";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { killAll, removeTmp, shortTmp, startDaemon, writeConfig } from "./helpers";

// Tests run as root: chown to 65534 (nobody) makes a directory someone else's.
const NOBODY = 65534;
let dir: string;
beforeEach(async () => {
  dir = await shortTmp("rdu-");
  await chmod(dir, 0o755);
});
afterEach(async () => {
  await killAll();
  await removeTmp(dir);
});

const mk = (rel: string, mode: number, owner?: number): Promise<string> => makeDir(dir, rel, mode, owner);

/** Runs recalld on a local-mode config and expects the refusal: exit 2, the problem and the fix on stderr, no socket. */
async function refused(memory: { socket_path: string; bundle_root: string }, expected: RegExp[]): Promise<void> {
  const cfg = await writeConfig(join(dir, "config.yaml"), { provider: "local", sidecar_shutdown_grace: "1s", ...memory });
  const d = startDaemon(["--config", cfg]);
  const exit = await d.exited;
  const err = d.stderr.join("\n");
  expect(exit.code, err).toBe(2);
  expect(err).toMatch(/refusing to start: the (socket directory|bundle root) .* is unsafe/);
  for (const e of expected) expect(err).toMatch(e);
  await expect(lstat(join(memory.socket_path, "..", "daemon.sock"))).rejects.toMatchObject({ code: "ENOENT" });
}

describe("recalld refuses directories others can tamper with (exit 2, with the fix)", () => {
  it.each(["0777", "0770", "01777"])("socket directory at mode %s", async (mode) => {
    const run = await mk("run", parseInt(mode, 8));
    await refused({ socket_path: join(run, "m.sock"), bundle_root: join(dir, "root") }, [/writable by group or others/, new RegExp(`Fix: chmod 700 ${run}`), /memory\.socket_path/]);
  });

  it("socket directory owned by another uid", async () => {
    const run = await mk("run", 0o700, NOBODY);
    await refused({ socket_path: join(run, "m.sock"), bundle_root: join(dir, "root") }, [new RegExp(`owned by uid ${NOBODY}`), /Fix: chown/]);
  });

  it("a socket directory not yet created under a world-writable parent without the sticky bit", async () => {
    const shared = await mk("shared", 0o777);
    await refused({ socket_path: join(shared, "run", "m.sock"), bundle_root: join(dir, "root") }, [/a parent of .* without the sticky bit/, /chmod go-w/]);
    expect(await readdir(shared)).toEqual([]); // nothing created in it
  });

  it.each([
    ["bundle root at 0777", async () => mk("root", 0o777), /mode 0777/],
    ["bundle root at 0770", async () => mk("root", 0o770), /mode 0770/],
    ["bundle root owned by another uid", async () => mk("root", 0o700, NOBODY), new RegExp(`owned by uid ${NOBODY}`)],
    ["bundle root under a parent owned by another uid", async () => {
      const p = await mk("theirs", 0o755, NOBODY);
      await mkdir(join(p, "root"), { mode: 0o700 });
      return join(p, "root");
    }, new RegExp(`theirs \\(a parent of .*\\) is owned by uid ${NOBODY}`)],
  ])("%s", async (_name, make, problem) => {
    const run = await mk("run", 0o700);
    const root = await make();
    await refused({ socket_path: join(run, "m.sock"), bundle_root: root }, [problem, /memory\.bundle_root/]);
  });

  it("a planted staging/ symlink: refused before anything is cleared; the target's canary survives", async () => {
    const run = await mk("run", 0o700);
    const root = await mk("root", 0o700);
    const elsewhere = await mk("elsewhere", 0o700);
    await writeFile(join(elsewhere, "canary"), "must survive");
    await mkdir(join(elsewhere, "leftover-looking-dir"));
    await symlink(elsewhere, join(root, "staging"));
    await refused({ socket_path: join(run, "m.sock"), bundle_root: root }, [/staging is a symlink/, new RegExp(`Fix: remove it \\(rm ${root}/staging\\)`)]);
    expect(await readFile(join(elsewhere, "canary"), "utf8")).toBe("must survive");
    expect((await readdir(elsewhere)).sort()).toEqual(["canary", "leftover-looking-dir"]);
  });

  it("a safe layout starts (the same dirs at 0700) and a disabled provider ignores the bundle root", async () => {
    const run = await mk("run", 0o700);
    const open = await mk("open-root", 0o777);
    const cfg = await writeConfig(join(dir, "config.yaml"), { provider: "disabled", socket_path: join(run, "m.sock"), bundle_root: open });
    const d = startDaemon(["--config", cfg], {}, join(run, "daemon.sock"));
    await expect.poll(() => lstat(join(run, "daemon.sock")).then((s) => s.isSocket(), () => false), { timeout: 30_000 }).toBe(true);
    expect((await d.status()).status).toBe("disabled");
    d.child.kill("SIGTERM");
    expect((await d.exited).code).toBe(0);
  });
});
