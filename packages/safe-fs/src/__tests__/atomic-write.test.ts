import type * as Crypto from "node:crypto";
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fsyncDir, writeFileAtomic } from "../index";

// The temp name's random part, fixed on demand so a test can plant something at it.
const fixedRandom = vi.hoisted(() => ({ hex: null as string | null }));
vi.mock("node:crypto", async (importOriginal) => {
  const real = await importOriginal<typeof Crypto>();
  return {
    ...real,
    randomBytes: (n: number) => (fixedRandom.hex === null ? real.randomBytes(n) : Buffer.from(fixedRandom.hex, "hex")),
  };
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "atomic-"));
});
afterEach(async () => {
  fixedRandom.hex = null;
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("creates a new file with the given mode (0600 by default) and leaves no temp file", async () => {
    const p = join(dir, "state.json");
    await writeFileAtomic(p, "{}\n");
    expect(await readFile(p, "utf8")).toBe("{}\n");
    expect((await lstat(p)).mode & 0o777).toBe(0o600);
    await writeFileAtomic(join(dir, "pub"), Buffer.from([1, 2, 3]), 0o644);
    expect((await lstat(join(dir, "pub"))).mode & 0o777).toBe(0o644);
    await writeFileAtomic(join(dir, "opts"), "x", { mode: 0o640 });
    expect((await lstat(join(dir, "opts"))).mode & 0o777).toBe(0o640);
    expect((await readdir(dir)).sort()).toEqual(["opts", "pub", "state.json"]);
  });

  it("replaces an existing file whole, and replaces a symlink at the path rather than writing through it", async () => {
    const p = join(dir, "m.json");
    await writeFile(p, "old old old");
    await writeFileAtomic(p, "new");
    expect(await readFile(p, "utf8")).toBe("new");
    const victim = join(dir, "victim");
    await writeFile(victim, "untouched");
    const link = join(dir, "link");
    await symlink(victim, link);
    await writeFileAtomic(link, "mine");
    expect((await lstat(link)).isFile()).toBe(true);
    expect(await readFile(victim, "utf8")).toBe("untouched");
  });

  it("never follows or reuses a symlink planted at the temp path: EEXIST, the target untouched, the path unchanged", async () => {
    fixedRandom.hex = "0123456789ab";
    const p = join(dir, "cache.json");
    await writeFile(p, "before");
    const victim = join(dir, "victim");
    await writeFile(victim, "precious");
    const tmp = `${p}.tmp-${process.pid}-0123456789ab`;
    await symlink(victim, tmp);
    await expect(writeFileAtomic(p, "after")).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(victim, "utf8")).toBe("precious");
    expect(await readFile(p, "utf8")).toBe("before");
    expect((await lstat(tmp)).isSymbolicLink()).toBe(true);
  });

  it("durable: false writes the same file atomically (no fsync), for caches", async () => {
    const p = join(dir, "cache.json");
    await writeFileAtomic(p, "one", { durable: false });
    await writeFileAtomic(p, "two", { durable: false, mode: 0o600 });
    expect(await readFile(p, "utf8")).toBe("two");
    expect((await lstat(p)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["cache.json"]);
  });

  it("fails without touching the target or leaving a temp file when the directory is missing", async () => {
    await expect(writeFileAtomic(join(dir, "nope", "x"), "a")).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readdir(dir)).toEqual([]);
  });

  it("fails and cleans up when the rename cannot happen (target is a non-empty directory)", async () => {
    const p = join(dir, "taken");
    await mkdir(join(p, "inner"), { recursive: true });
    await expect(writeFileAtomic(p, "a")).rejects.toBeInstanceOf(Error);
    expect(await readdir(dir)).toEqual(["taken"]);
  });
});

describe("fsyncDir", () => {
  it("syncs a directory and rejects a path that is not one", async () => {
    await expect(fsyncDir(dir)).resolves.toBeUndefined();
    await writeFile(join(dir, "f"), "");
    await expect(fsyncDir(join(dir, "f"))).rejects.toMatchObject({ code: "ENOTDIR" });
  });
});
