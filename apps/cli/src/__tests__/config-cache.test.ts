import { chmod, lchown, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheKey, cachePath, readCachedConfig, witnesses, writeCachedConfig, type QueryConfig } from "../config-cache";

const values: QueryConfig = { provider: "local", socket_path: "/tmp/x/memory.sock", client_request_timeout_ms: 2000, sidecar_ready_timeout_ms: 10_000 };

describe("config cache", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rcc-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keys on config inputs but never on API keys", () => {
    const base = { version: "1", cwd: "/w", file: undefined, env: { HOME: "/h", RECALL_MEMORY_SOCKET_PATH: "/s" } };
    const k = cacheKey(base);
    expect(cacheKey({ ...base, env: { ...base.env, RECALL_MEMORY_API_KEY: "sk-live-1234" } })).toBe(k);
    expect(cacheKey({ ...base, env: { ...base.env, RECALL_CLOUD_API_KEY: "x" } })).toBe(k);
    expect(cacheKey({ ...base, env: { ...base.env, UNRELATED: "x" } })).toBe(k);
    expect(cacheKey({ ...base, env: { ...base.env, RECALL_MEMORY_SOCKET_PATH: "/t" } })).not.toBe(k);
    expect(cacheKey({ ...base, cwd: "/v" })).not.toBe(k);
    expect(cacheKey({ ...base, file: "c.yaml" })).not.toBe(k);
    expect(cacheKey({ ...base, version: "2" })).not.toBe(k);
    expect(cacheKey({ ...base, env: { ...base.env, RECALL_MEMORY_API_KEY: "sk-live-1234" } })).not.toContain("sk-live");
  });

  it("hits while the config file is unchanged, misses once it changes or appears", async () => {
    const cache = cachePath({ XDG_CACHE_HOME: dir })!;
    expect(cachePath({ HOME: "/home/u" })).toBe("/home/u/.cache/recall/cli-config.json");
    expect(cachePath({})).toBeNull();
    const cfg = join(dir, "config.yaml");
    await writeFile(cfg, "memory:\n  provider: local\n");
    await writeCachedConfig(cache, "k1", witnesses([cfg]), values);
    const absent = join(dir, "absent.yaml");
    await writeCachedConfig(cache, "k2", witnesses([absent]), values);
    expect(readCachedConfig(cache, "k1")).toEqual(values);
    expect(readCachedConfig(cache, "k2")).toEqual(values);
    expect(readCachedConfig(cache, "k3")).toBeNull();
    await writeFile(cfg, "memory:\n  provider: cloud\n");
    expect(readCachedConfig(cache, "k1")).toBeNull();
    await writeFile(absent, "memory: {}\n");
    expect(readCachedConfig(cache, "k2")).toBeNull();
    expect((await stat(cache)).mode & 0o777).toBe(0o600);
  });

  it("survives a corrupt cache file", async () => {
    const cache = cachePath({ XDG_CACHE_HOME: dir })!;
    await writeCachedConfig(cache, "k", witnesses(["/nonexistent"]), values);
    await writeFile(cache, "{not json");
    expect(readCachedConfig(cache, "k")).toBeNull();
    await writeCachedConfig(cache, "k", witnesses(["/nonexistent"]), values);
    expect((JSON.parse(await readFile(cache, "utf8")) as { entries: unknown[] }).entries).toHaveLength(1);
  });

  it("misses when a project config appears above the working directory after the entry was written", async () => {
    const cache = cachePath({ XDG_CACHE_HOME: dir })!;
    const probed = [join(dir, "p/a/.recall/config.yaml"), join(dir, "p/.recall/config.yaml"), join(dir, "xdg/recall/config.yaml")];
    await writeCachedConfig(cache, "k", witnesses(probed), values);
    expect(readCachedConfig(cache, "k")).toEqual(values);
    await mkdir(join(dir, "p/.recall"), { recursive: true });
    await writeFile(join(dir, "p/.recall/config.yaml"), "memory: {}\n");
    expect(readCachedConfig(cache, "k")).toBeNull();
  });

  it("never writes through a symlink planted at the cache path (the temp file is writeFileAtomic's, tested in @recall/safe-fs)", async () => {
    const cache = cachePath({ XDG_CACHE_HOME: dir })!;
    await mkdir(join(dir, "recall"), { recursive: true, mode: 0o700 });
    const victim = join(dir, "victim.txt");
    await writeFile(victim, "precious");
    await writeCachedConfig(cache, "k", witnesses(["/nonexistent"]), values);
    expect(readCachedConfig(cache, "k")).toEqual(values);
    // at the final path: replaced by a regular file, its target untouched and never read into the cache
    await rm(cache);
    await symlink(victim, cache);
    await writeCachedConfig(cache, "k2", witnesses(["/nonexistent"]), values);
    expect(await readFile(victim, "utf8")).toBe("precious");
    const st = await lstat(cache);
    expect(st.isSymbolicLink()).toBe(false);
    expect(st.mode & 0o777).toBe(0o600);
    expect(readCachedConfig(cache, "k2")).toEqual(values);
    expect(readCachedConfig(cache, "k")).toBeNull();
    // no temp file is left behind
    expect(await readdir(join(dir, "recall"))).toEqual(["cli-config.json"]);
  });

  it("writes nothing into a cache directory that recall's directory rule refuses", async () => {
    // writable by others
    const open = join(dir, "open");
    await mkdir(open);
    await chmod(open, 0o777);
    await writeCachedConfig(join(open, "cli-config.json"), "k", witnesses(["/nonexistent"]), values);
    await expect(stat(join(open, "cli-config.json"))).rejects.toThrow();
    // created under a parent others can write without the sticky bit
    await writeCachedConfig(join(open, "recall", "cli-config.json"), "k", witnesses(["/nonexistent"]), values);
    await expect(stat(join(open, "recall", "cli-config.json"))).rejects.toThrow();
    // our own symlink to a private directory of ours is followed, as for recalld's directories
    const other = join(dir, "other");
    await mkdir(other, { mode: 0o700 });
    const linked = join(dir, "linked");
    await symlink(other, linked);
    await writeCachedConfig(join(linked, "cli-config.json"), "k", witnesses(["/nonexistent"]), values);
    expect(readCachedConfig(join(other, "cli-config.json"), "k")).toEqual(values);
    expect(await readlink(linked)).toBe(other);
  });

  it.runIf(process.getuid?.() === 0)("writes nothing through a cache directory symlink another user planted (root only: lchown)", async () => {
    const other = join(dir, "other");
    await mkdir(other, { mode: 0o700 });
    const planted = join(dir, "planted");
    await symlink(other, planted);
    await lchown(planted, 65534, 65534);
    await writeCachedConfig(join(planted, "cli-config.json"), "k", witnesses(["/nonexistent"]), values);
    await expect(stat(join(other, "cli-config.json"))).rejects.toThrow();
  });
});

