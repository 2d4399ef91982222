import { chmod, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { list } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BundleError, generateKeyPair, pack, parseManifestJson, verifyManifest } from "../index";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "recall-bundle-pack-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function source(dir: string): Promise<void> {
  const files: Record<string, string> = {
    "memories.db": "database",
    "b/z.txt": "z",
    "b/a.txt": "a",
    "a-b.txt": "dash sorts before slash",
    "deep/er/still/f.bin": "f",
    "empty": "",
  };
  for (const [p, c] of Object.entries(files)) {
    await mkdir(join(dir, p, ".."), { recursive: true });
    await writeFile(join(dir, p), c);
  }
}

const opts = { bundleId: "20261126T080000Z", schemaVersion: "1.0.0", createdAt: "2026-11-26T08:00:00Z" };

describe("pack", () => {
  it("is deterministic: same input → byte-identical archive and manifest, whatever the mtimes and modes", async () => {
    const src = join(root, "src");
    await source(src);
    const key = generateKeyPair();
    const first = await pack(src, { ...opts, outDir: join(root, "out1"), signKeyPem: key.privateKeyPem });
    await utimes(join(src, "memories.db"), new Date("2001-01-01"), new Date("2001-01-01"));
    await chmod(join(src, "b", "a.txt"), 0o600);
    await chmod(join(src, "deep"), 0o700);
    const second = await pack(src, { ...opts, outDir: join(root, "out2"), signKeyPem: key.privateKeyPem });
    expect(await readFile(second.archivePath)).toEqual(await readFile(first.archivePath));
    expect(await readFile(second.manifestPath)).toEqual(await readFile(first.manifestPath));
  });

  it("writes a publish dir: manifest.json + bundle-<id>.tar.gz with the full inventory", async () => {
    const src = join(root, "src");
    await source(src);
    const out = join(root, "publish");
    const r = await pack(src, { ...opts, outDir: out, expiresAt: new Date("2026-12-26T08:00:00Z"), tenant: "9f2c1a7b3d4e5f60" });
    expect(r.archivePath).toBe(join(out, "bundle-20261126T080000Z.tar.gz"));
    expect(r.manifestPath).toBe(join(out, "manifest.json"));
    const parsed = parseManifestJson(await readFile(r.manifestPath));
    expect(parsed.ok && parsed.manifest).toEqual(r.manifest);
    expect(r.manifest.expires_at).toBe("2026-12-26T08:00:00Z");
    expect(r.manifest.tenant).toBe("9f2c1a7b3d4e5f60");
    expect(r.manifest.archive.path).toBe("bundle-20261126T080000Z.tar.gz");
    expect(r.manifest.archive.size).toBe((await readFile(r.archivePath)).length);
    expect(r.manifest.files.map((f) => f.path)).toEqual(["a-b.txt", "b/a.txt", "b/z.txt", "deep/er/still/f.bin", "empty", "memories.db"]);
    expect(r.manifest.files.find((f) => f.path === "empty")).toEqual({
      path: "empty",
      size: 0,
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    });
    expect(r.manifest.signatures).toBeUndefined();
  });

  it("writes sorted entries with fixed metadata: 0644/0755, uid/gid 0, no owner names, mtime 0", async () => {
    const src = join(root, "src");
    await source(src);
    await chmod(join(src, "memories.db"), 0o4777);
    const r = await pack(src, { ...opts, outDir: join(root, "out") });
    const seen: { path: string; type: string; mode: number; uid: number; gid: number; mtime: number; uname: string }[] = [];
    await list({
      file: r.archivePath,
      onReadEntry: (e) => {
        seen.push({
          path: e.path,
          type: String(e.type),
          mode: e.mode ?? -1,
          uid: e.uid ?? -1,
          gid: e.gid ?? -1,
          mtime: e.mtime?.getTime() ?? -1,
          uname: e.uname ?? "",
        });
      },
    });
    expect(seen.map((e) => e.path)).toEqual([
      "a-b.txt",
      "b/",
      "b/a.txt",
      "b/z.txt",
      "deep/",
      "deep/er/",
      "deep/er/still/",
      "deep/er/still/f.bin",
      "empty",
      "memories.db",
    ]);
    for (const e of seen) {
      expect(e.mode).toBe(e.type === "Directory" ? 0o755 : 0o644);
      expect([e.uid, e.gid, e.mtime, e.uname]).toEqual([0, 0, 0, ""]);
    }
    const gzHeader = (await readFile(r.archivePath)).subarray(0, 10);
    expect(gzHeader.readUInt32LE(4)).toBe(0);
  });

  it("signs the manifest when given a key", async () => {
    const src = join(root, "src");
    await source(src);
    const key = generateKeyPair();
    const r = await pack(src, { ...opts, outDir: join(root, "out"), signKeyPem: key.privateKeyPem });
    expect(verifyManifest(r.manifest, [key.publicKey])).toEqual({ ok: true, keyid: key.keyid });
  });

  it("leaves an outDir inside the source out of the archive", async () => {
    const src = join(root, "src");
    await source(src);
    const r = await pack(src, { ...opts, outDir: join(src, "publish") });
    expect(r.manifest.files.some((f) => f.path.startsWith("publish"))).toBe(false);
  });

  it("refuses symlinks, empty sources, bad ids and versions", async () => {
    const src = join(root, "src");
    await source(src);
    await symlink("/etc/passwd", join(src, "link"));
    await expect(pack(src, { ...opts, outDir: join(root, "o1") })).rejects.toMatchObject({ code: "BUNDLE_PACK_INPUT" });
    await rm(join(src, "link"));
    await expect(pack(src, { ...opts, bundleId: "..", outDir: join(root, "o2") })).rejects.toBeInstanceOf(BundleError);
    await expect(pack(src, { ...opts, schemaVersion: "1", outDir: join(root, "o3") })).rejects.toMatchObject({
      code: "BUNDLE_PACK_INPUT",
    });
    await expect(pack(src, { ...opts, outDir: src })).rejects.toMatchObject({ code: "BUNDLE_PACK_INPUT" });
    const empty = join(root, "empty");
    await mkdir(join(empty, "only-dirs"), { recursive: true });
    await expect(pack(empty, { ...opts, outDir: join(root, "o4") })).rejects.toMatchObject({ code: "BUNDLE_PACK_INPUT" });
  });
});
