import { createReadStream, existsSync } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { execaSync } from "execa";
import { create as tarCreate } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BundleError, pack, parseManifestJson, safeExtract, type Manifest } from "../../src/index";
import { file, gz, manifestFor, rawTar, sha256 } from "../helpers/raw-tar";

const MiB = 1024 * 1024;
const limits = { maxBytes: 64 * MiB, maxUnpackedBytes: 64 * MiB };

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "recall-bundle-x-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes a small tree of files for pack. */
async function makeSource(dir: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {
    "memories.db": Buffer.from("SQLite format 3\0".padEnd(5000, "x")),
    "meta/info.json": Buffer.from('{"count": 3}\n'),
    "meta/deep/nested/notes.txt": Buffer.from("notes\n".repeat(300)),
    "empty.txt": Buffer.alloc(0),
    [`long/${"segment-".repeat(12)}/file-with-a-rather-long-name-${"x".repeat(60)}.bin`]: Buffer.from("long"),
    "unicodé/ファイル.txt": Buffer.from("unicode name"),
  };
  for (const [p, content] of Object.entries(files)) {
    await mkdir(join(dir, p, ".."), { recursive: true });
    await writeFile(join(dir, p), content);
  }
  return files;
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    for (const name of (await readdir(d)).sort()) {
      const st = await lstat(join(d, name));
      const r = rel ? `${rel}/${name}` : name;
      out.push(`${r} ${st.isDirectory() ? "d" : "f"} ${(st.mode & 0o7777).toString(8)}`);
      if (st.isDirectory()) await walk(join(d, name), r);
    }
  }
  await walk(dir, "");
  return out;
}

describe("safeExtract happy paths", () => {
  it("extracts a packed bundle: every file byte-identical, files 0644, dirs 0755", async () => {
    const src = join(root, "src");
    const files = await makeSource(src);
    await chmod(join(src, "memories.db"), 0o4755);
    const { manifest, archivePath } = await pack(src, {
      outDir: join(root, "publish"),
      bundleId: "20261126T080000Z",
      schemaVersion: "1.0.0",
    });
    const dest = join(root, "staging", "20261126T080000Z");
    let progress = 0;
    const r = await safeExtract(createReadStream(archivePath, { highWaterMark: 1024 }), {
      dest,
      manifest,
      ...limits,
      onProgress: (b) => {
        progress = b;
      },
    });
    expect(r).toEqual({
      ok: true,
      archiveBytes: manifest.archive.size,
      unpackedBytes: Object.values(files).reduce((n, b) => n + b.length, 0),
      files: Object.keys(files).length,
    });
    expect(progress).toBe(manifest.archive.size);
    for (const [p, content] of Object.entries(files)) {
      const got = await readFile(join(dest, p));
      expect(sha256(got)).toBe(sha256(content));
      expect((await stat(join(dest, p))).mode & 0o7777).toBe(0o644);
    }
    for (const line of await listTree(dest)) {
      const [, kind, mode] = line.split(" ");
      expect(mode).toBe(kind === "d" ? "755" : "644");
    }
    expect((await stat(dest)).mode & 0o7777).toBe(0o755);
  });

  it("ignores tar modes and owners: setuid, world-writable and 000 entries come out 0644/0755", async () => {
    const tar = rawTar([
      { name: "d/", type: "5", mode: 0o7777 },
      { ...file("d/suid", "s"), mode: 0o4755 },
      { ...file("d/ww", "w"), mode: 0o666 },
      { ...file("none", "n"), mode: 0 },
    ]);
    const archive = gz(tar);
    const manifest = manifestFor(archive, { "d/suid": "s", "d/ww": "w", none: "n" });
    const dest = join(root, "out");
    const r = await safeExtract(Readable.from([archive]), { dest, manifest, ...limits });
    expect(r.ok).toBe(true);
    expect(await listTree(dest)).toEqual(["d d 755", "d/suid f 644", "d/ww f 644", "none f 644"]);
  });

  it("accepts an archive made by GNU tar (directory entries, owner names, real mtimes)", async () => {
    const src = join(root, "src");
    const files = await makeSource(src);
    const archivePath = join(root, "gnu.tar.gz");
    const names = Object.keys(files).map((p) => p.split("/")[0] as string);
    execaSync("tar", ["-czf", archivePath, "-C", src, ...new Set(names)]);
    const archive = await readFile(archivePath);
    const manifest = manifestFor(archive, files);
    const dest = join(root, "out");
    const r = await safeExtract(createReadStream(archivePath), { dest, manifest, ...limits });
    expect(r.ok).toBe(true);
    for (const [p, content] of Object.entries(files)) expect(await readFile(join(dest, p))).toEqual(content);
  });

  it("accepts an archive made by node-tar create (pax headers for long names)", async () => {
    const src = join(root, "src");
    const files = await makeSource(src);
    const archivePath = join(root, "nodetar.tgz");
    await tarCreate({ gzip: true, file: archivePath, cwd: src, portable: true }, Object.keys(files));
    const manifest = manifestFor(await readFile(archivePath), files);
    const dest = join(root, "out");
    const r = await safeExtract(createReadStream(archivePath), { dest, manifest, ...limits });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.files).toBe(Object.keys(files).length);
  });

  // 3000 files written, packed and extracted: 23 s in a CI run, so the deadline leaves room for a loaded machine.
  it("extracts thousands of small files (entry queueing and back-pressure)", { timeout: 180_000 }, async () => {
    const src = join(root, "src");
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 3000; i++) files[`d${i % 30}/f${i}.txt`] = Buffer.from(`file ${i}\n`);
    for (const [p, c] of Object.entries(files)) {
      await mkdir(join(src, p, ".."), { recursive: true });
      await writeFile(join(src, p), c);
    }
    const { manifest, archivePath } = await pack(src, { outDir: join(root, "pub"), bundleId: "many", schemaVersion: "1.0.0" });
    const dest = join(root, "out");
    const r = await safeExtract(createReadStream(archivePath), { dest, manifest, ...limits });
    expect(r.ok && r.files).toBe(3000);
    expect(await readFile(join(dest, "d7/f2977.txt"), "utf8")).toBe("file 2977\n");
  });

  it("works when the source delivers one byte at a time", async () => {
    const archive = gz(rawTar([file("memories.db", "tiny"), file("x/y", "z")]));
    const manifest = manifestFor(archive, { "memories.db": "tiny", "x/y": "z" });
    const bytes = Readable.from(
      (function* () {
        for (let i = 0; i < archive.length; i++) yield archive.subarray(i, i + 1);
      })(),
      { objectMode: false },
    );
    const dest = join(root, "out");
    const r = await safeExtract(bytes, { dest, manifest, ...limits });
    expect(r.ok).toBe(true);
    expect(await readFile(join(dest, "x", "y"), "utf8")).toBe("z");
  });

  it("round-trips a manifest read back from the publish directory", async () => {
    const src = join(root, "src");
    await makeSource(src);
    const { manifestPath, archivePath } = await pack(src, { outDir: join(root, "pub"), bundleId: "b1", schemaVersion: "1.2.3" });
    const parsed = parseManifestJson(await readFile(manifestPath));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const r = await safeExtract(createReadStream(archivePath), { dest: join(root, "out"), manifest: parsed.manifest, ...limits });
    expect(r.ok).toBe(true);
  });
});

describe("safeExtract failure handling", () => {
  async function packed(): Promise<{ manifest: Manifest; archive: Buffer }> {
    const src = join(root, "src");
    await mkdir(src);
    const big = Buffer.alloc(2 * MiB);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    await writeFile(join(src, "memories.db"), big);
    const { manifest, archivePath } = await pack(src, { outDir: join(root, "pub"), bundleId: "b1", schemaVersion: "1.0.0" });
    return { manifest, archive: await readFile(archivePath) };
  }

  it("an abort mid-stream rejects with `aborted` and removes dest", async () => {
    const { manifest, archive } = await packed();
    const source = new PassThrough();
    const ac = new AbortController();
    const dest = join(root, "out");
    const result = safeExtract(source, { dest, manifest, ...limits, signal: ac.signal, onProgress: () => ac.abort() });
    source.write(archive.subarray(0, 64 * 1024));
    const r = await result;
    expect(r.ok ? null : r.rejection.reason).toBe("aborted");
    expect(existsSync(dest)).toBe(false);
    expect(source.destroyed).toBe(true);
  });

  it("an already aborted signal rejects without creating dest", async () => {
    const { manifest, archive } = await packed();
    const dest = join(root, "out");
    const r = await safeExtract(Readable.from([archive]), { dest, manifest, ...limits, signal: AbortSignal.abort() });
    expect(r.ok ? null : r.rejection.reason).toBe("aborted");
    expect(existsSync(dest)).toBe(false);
  });

  it("a source that fails is an I/O error (thrown, not a rejection) and dest is removed", async () => {
    const { manifest, archive } = await packed();
    const source = new PassThrough();
    const dest = join(root, "out");
    const result = safeExtract(source, { dest, manifest, ...limits });
    source.write(archive.subarray(0, 128 * 1024));
    setImmediate(() => source.destroy(new Error("connection reset")));
    const err = await result.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BundleError);
    expect((err as BundleError).code).toBe("BUNDLE_IO");
    expect(existsSync(dest)).toBe(false);
  });

  it("refuses to write into an existing dest and leaves it alone", async () => {
    const { manifest, archive } = await packed();
    const dest = join(root, "out");
    await mkdir(dest);
    await writeFile(join(dest, "keep"), "mine");
    const err = await safeExtract(Readable.from([archive]), { dest, manifest, ...limits }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as BundleError).code).toBe("BUNDLE_DEST_EXISTS");
    expect(await readFile(join(dest, "keep"), "utf8")).toBe("mine");
  });

  it("refuses a dest that is a symlink, without following it", async () => {
    const { manifest, archive } = await packed();
    const target = join(root, "elsewhere");
    await mkdir(target);
    const dest = join(root, "out");
    await symlink(target, dest);
    const err = await safeExtract(Readable.from([archive]), { dest, manifest, ...limits }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as BundleError).code).toBe("BUNDLE_DEST_EXISTS");
    expect(await readdir(target)).toEqual([]);
  });

  it("re-validates the manifest it is given: a hand-made unsafe one is bad_manifest, dest never created", async () => {
    const { manifest, archive } = await packed();
    const forged = { ...manifest, files: [{ path: "../escape", size: 1, sha256: "a".repeat(64) }] } as Manifest;
    const dest = join(root, "out");
    const r = await safeExtract(Readable.from([archive]), { dest, manifest: forged, ...limits });
    expect(r.ok ? null : r.rejection.reason).toBe("bad_manifest");
    expect(existsSync(dest)).toBe(false);
  });

  it("a manifest with more files than maxEntries is refused before reading", async () => {
    const { manifest, archive } = await packed();
    const source = Readable.from([archive]);
    const r = await safeExtract(source, { dest: join(root, "out"), manifest, ...limits, maxEntries: 0 });
    expect(r.ok ? null : r.rejection.reason).toBe("too_many_entries");
    expect(source.destroyed).toBe(true);
  });
});
