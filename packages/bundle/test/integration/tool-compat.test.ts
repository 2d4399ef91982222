import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkManifestPolicy,
  generateKeyPair,
  parseManifestJson,
  safeExtract,
  signManifest,
  type Manifest,
} from "../../src/index";

/**
 * A correct bundle made with ordinary tools installs: archives written by
 * GNU tar, bsdtar, Python's tarfile, Go's archive/tar and `git archive`, in
 * each tool's formats, with and without `./`, long names (> 100 and > 255
 * bytes), non-ASCII names, directories listed or implied, entries in any
 * order. Each goes through the real verify path: signed manifest JSON →
 * parseManifestJson → checkManifestPolicy → safeExtract from a file stream.
 */

const LONG_SEG = "l".repeat(120);
/** Files of the test bundle: path → content. */
function treeFiles(opts: { over255: boolean }): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    "memories.db": Buffer.concat([Buffer.from("SQLite format 3\0"), randomBytes(70_000)]),
    // ustar splits a long name at a `/` into prefix (155) + name (100): no segment over 100 bytes there.
    [opts.over255 ? `notes/${LONG_SEG}.txt` : `notes/${"l".repeat(90)}/${"m".repeat(80)}.txt`]: Buffer.from(
      "a name over 100 bytes\n",
    ),
    "é/ファイル.txt": Buffer.from("non-ASCII names\n"),
    "a/b/c/d/e/f/g/h/deep.txt": Buffer.from("eight levels\n"),
    "empty.txt": Buffer.alloc(0),
  };
  // ustar can hold 255 bytes at most (155 prefix + 100 name): only pax/GNU formats get the longest one.
  if (opts.over255) files[`${"p".repeat(200)}/${"q".repeat(200)}/${"r".repeat(100)}.bin`] = randomBytes(3000);
  return files;
}

const key = generateKeyPair();
let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "recall-bundle-tools-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeTree(files: Record<string, Buffer>): Promise<string> {
  const dir = join(root, `src${counter++}`);
  for (const [p, c] of Object.entries(files)) {
    await mkdir(join(dir, ...p.split("/").slice(0, -1)), { recursive: true });
    await writeFile(join(dir, ...p.split("/")), c);
  }
  return dir;
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const r = spawnSync(cmd, args, { ...opts, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.error ?? ""}`);
}

/** Entry names of a .tar.gz, as GNU tar lists them (to assert the shape each tool wrote). */
function listNames(archive: string): string[] {
  return execFileSync("tar", ["-tzf", archive], { encoding: "utf8" }).split("\n").filter(Boolean);
}

/** Builds, signs and installs `archive` for `files` through the real verify path; asserts every byte. */
async function installs(archive: string, files: Record<string, Buffer>): Promise<void> {
  const bytes = await readFile(archive);
  const unsigned: Manifest = {
    format: 1,
    bundle_id: `20261126T0800${String(counter).padStart(2, "0")}Z`,
    schema_version: "1.0.0",
    created_at: "2026-11-26T08:00:00Z",
    archive: { path: "bundle.tar.gz", size: bytes.length, sha256: sha256(bytes) },
    files: Object.entries(files).map(([path, c]) => ({ path, size: c.length, sha256: sha256(c) })),
  };
  const parsed = parseManifestJson(JSON.stringify(signManifest(unsigned, key.privateKeyPem), null, 2));
  expect(parsed.ok, parsed.ok ? "" : parsed.rejection.message).toBe(true);
  if (!parsed.ok) return;
  const policy = checkManifestPolicy(parsed.manifest, { publicKeys: [key.publicKey], schemaRange: "^1.0.0", now: new Date("2026-11-27T00:00:00Z") });
  expect(policy.ok).toBe(true);
  const dest = join(root, `dest${counter++}`);
  const r = await safeExtract(createReadStream(archive), {
    dest,
    manifest: parsed.manifest,
    maxBytes: 64 * 2 ** 20,
    maxUnpackedBytes: 64 * 2 ** 20,
  });
  expect(r.ok, r.ok ? "" : `${r.rejection.reason}: ${r.rejection.message}`).toBe(true);
  for (const [p, c] of Object.entries(files)) {
    const got = await readFile(join(dest, ...p.split("/")));
    expect(got.equals(c), p).toBe(true);
    expect((await stat(join(dest, ...p.split("/")))).mode & 0o7777).toBe(0o644);
  }
  // Nothing but the listed files (and their directories) was created.
  const all: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else all.push(relative(dest, join(d, e.name)).split("\\").join("/"));
    }
  };
  await walk(dest);
  expect(all.sort()).toEqual(Object.keys(files).sort());
  await rm(dest, { recursive: true, force: true });
}

/** Top-level names of a tree, for tools given explicit operands instead of `.`. */
function topLevel(files: Record<string, Buffer>): string[] {
  return [...new Set(Object.keys(files).map((p) => p.split("/")[0] as string))].sort();
}

/** Every file path, deepest first: an archive that lists files before (or without) their directories. */
function filesOnly(files: Record<string, Buffer>): string[] {
  return Object.keys(files).sort((a, b) => b.split("/").length - a.split("/").length);
}

describe("GNU tar", () => {
  for (const format of ["gnu", "posix"] as const) {
    it(`--format=${format} of . (./ root entry, ./ prefixes, 10 KiB record padding)`, async () => {
      const files = treeFiles({ over255: true });
      const src = await writeTree(files);
      const out = join(root, `gnu-${format}-dot.tar.gz`);
      run("tar", ["-C", src, `--format=${format}`, "-czf", out, "."]);
      const names = listNames(out);
      expect(names).toContain("./");
      expect(names).toContain("./memories.db");
      // GNU tar pads to a 10240-byte record: zeros after the end marker.
      expect(gunzipSync(await readFile(out)).length % 10240).toBe(0);
      await installs(out, files);
    });

    it(`--format=${format} with explicit operands (no ./, directories listed)`, async () => {
      const files = treeFiles({ over255: true });
      const src = await writeTree(files);
      const out = join(root, `gnu-${format}-names.tar.gz`);
      run("tar", ["-C", src, `--format=${format}`, "-czf", out, ...topLevel(files)]);
      expect(listNames(out)).toContain("memories.db");
      await installs(out, files);
    });

    it(`--format=${format} of files only, deepest first (directories implied)`, async () => {
      const files = treeFiles({ over255: true });
      const src = await writeTree(files);
      const out = join(root, `gnu-${format}-files.tar.gz`);
      run("tar", ["-C", src, `--format=${format}`, "--no-recursion", "-czf", out, ...filesOnly(files)]);
      expect(listNames(out).some((n) => n.endsWith("/"))).toBe(false);
      await installs(out, files);
    });
  }

  it("--format=ustar of . (names split into prefix + name)", async () => {
    const files = treeFiles({ over255: false });
    const src = await writeTree(files);
    const out = join(root, "gnu-ustar.tar.gz");
    run("tar", ["-C", src, "--format=ustar", "-czf", out, "."]);
    await installs(out, files);
  });
});

describe("bsdtar (libarchive)", () => {
  for (const format of ["ustar", "pax", null] as const) {
    const label = format ?? "default (restricted pax)";
    it(`${label} of .`, async () => {
      const files = treeFiles({ over255: format !== "ustar" });
      const src = await writeTree(files);
      const out = join(root, `bsd-${format ?? "default"}-dot.tar.gz`);
      run("bsdtar", ["-C", src, ...(format ? ["--format", format] : []), "-czf", out, "."]);
      expect(listNames(out)).toContain("./memories.db");
      await installs(out, files);
    });

    it(`${label} with explicit operands`, async () => {
      const files = treeFiles({ over255: format !== "ustar" });
      const src = await writeTree(files);
      const out = join(root, `bsd-${format ?? "default"}-names.tar.gz`);
      run("bsdtar", ["-C", src, ...(format ? ["--format", format] : []), "-czf", out, ...topLevel(files)]);
      await installs(out, files);
    });
  }
});

describe("Python tarfile", () => {
  const script = `
import sys, tarfile, os
src, out, fmt, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
f = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT, "ustar": tarfile.USTAR_FORMAT}[fmt]
with tarfile.open(out, "w:gz", format=f) as t:
    if mode == "dot":
        t.add(src, arcname=".")
    else:
        files = []
        for d, _, names in os.walk(src):
            for n in names:
                files.append(os.path.relpath(os.path.join(d, n), src))
        # files before their directories, deepest first, directories after everything
        files.sort(key=lambda p: (-p.count("/"), p))
        for p in files:
            t.add(os.path.join(src, p), arcname=p, recursive=False)
        dirs = sorted({os.path.dirname(p) for p in files if os.path.dirname(p)}, reverse=True)
        for d in dirs:
            t.add(os.path.join(src, d), arcname=d, recursive=False)
`;
  for (const format of ["gnu", "pax"] as const) {
    for (const mode of ["dot", "reversed"] as const) {
      it(`${format.toUpperCase()}_FORMAT, ${mode === "dot" ? "arcname ." : "files first, directories last"}`, async () => {
        const files = treeFiles({ over255: true });
        const src = await writeTree(files);
        const out = join(root, `py-${format}-${mode}.tar.gz`);
        const py = join(root, "mk.py");
        await writeFile(py, script);
        run("python3", [py, src, out, format, mode]);
        await installs(out, files);
      });
    }
  }
});

const goBin = spawnSync("go", ["version"], { encoding: "utf8" });
const hasGo = goBin.status === 0;
if (!hasGo) {
  console.warn(
    "\n!!! WARNING: no Go toolchain (`go version` failed): the Go archive/tar compatibility tests are SKIPPED.\n" +
      "!!! Install one (the Debian package golang-go, which .ci/run installs) to run them.\n",
  );
}

describe("Go archive/tar", () => {
  const program = `package main

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
)

func main() {
	src, out, format := os.Args[1], os.Args[2], os.Args[3]
	f, err := os.Create(out)
	if err != nil { panic(err) }
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	err = filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil { return err }
		rel, _ := filepath.Rel(src, p)
		if rel == "." { return nil }
		h, err := tar.FileInfoHeader(info, "")
		if err != nil { return err }
		h.Name = filepath.ToSlash(rel)
		if info.IsDir() { h.Name += "/" }
		switch format {
		case "pax": h.Format = tar.FormatPAX
		case "gnu": h.Format = tar.FormatGNU
		}
		if err := tw.WriteHeader(h); err != nil { return err }
		if info.Mode().IsRegular() {
			in, err := os.Open(p)
			if err != nil { return err }
			defer in.Close()
			if _, err := io.Copy(tw, in); err != nil { return err }
		}
		return nil
	})
	if err != nil { panic(err) }
	if err := tw.Close(); err != nil { panic(err) }
	if err := gz.Close(); err != nil { panic(err) }
	if err := f.Close(); err != nil { panic(err) }
}
`;
  for (const format of ["auto", "pax", "gnu"] as const) {
    it.runIf(hasGo)(`Format ${format}`, { timeout: 300_000 }, async () => {
      const files = treeFiles({ over255: true });
      const src = await writeTree(files);
      const dir = join(root, `go-${format}`);
      await mkdir(dir);
      await writeFile(join(dir, "go.mod"), "module tarcompat\n\ngo 1.19\n");
      await writeFile(join(dir, "main.go"), program);
      const out = join(root, `go-${format}.tar.gz`);
      const env = {
        ...process.env,
        GOFLAGS: "-mod=mod",
        GOCACHE: join(dir, "cache"),
        GOPATH: join(dir, "gopath"),
        GOTOOLCHAIN: "local",
        GOPROXY: "off",
      };
      run("go", ["run", "main.go", src, out, format], { cwd: dir, env });
      await installs(out, files);
    });
  }
});

describe("git archive", () => {
  it("--format=tar.gz of a commit (pax global header with the commit id)", async () => {
    const files = treeFiles({ over255: true });
    const src = await writeTree(files);
    const env = {
      ...process.env,
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    };
    run("git", ["init", "-q", "."], { cwd: src, env });
    run("git", ["add", "-A"], { cwd: src, env });
    run("git", ["commit", "-q", "-m", "bundle"], { cwd: src, env });
    const out = join(root, "git.tar.gz");
    run("git", ["archive", "--format=tar.gz", "-o", out, "HEAD"], { cwd: src, env });
    // git's pax global header ("pax_global_header", comment = commit id) is a harmless extended header.
    const raw = gunzipSync(await readFile(out));
    expect(raw.subarray(0, 17).toString()).toBe("pax_global_header");
    await installs(out, files);
  });
});

describe("harmful entries from ordinary tools are still refused", () => {
  const cases = [
    { name: "a symlink", make: (src: string) => run("ln", ["-s", "memories.db", join(src, "alias")]), reason: "link_entry" },
    { name: "a hardlink", make: (src: string) => run("ln", [join(src, "memories.db"), join(src, "hard")]), reason: "link_entry" },
    { name: "a fifo", make: (src: string) => run("mkfifo", [join(src, "pipe")]), reason: "special_entry" },
  ];
  for (const tool of ["tar", "bsdtar"] as const) {
    for (const c of cases) {
      it(`${tool} of a tree with ${c.name} → ${c.reason}`, async () => {
        const files = { "memories.db": Buffer.from("db") };
        const src = await writeTree(files);
        c.make(src);
        const out = join(root, `${tool}-bad-${counter++}.tar.gz`);
        run(tool, ["-C", src, "-czf", out, "."]);
        const bytes = await readFile(out);
        const manifest: Manifest = {
          format: 1,
          bundle_id: "b1",
          schema_version: "1.0.0",
          created_at: "2026-11-26T08:00:00Z",
          archive: { path: "b.tar.gz", size: bytes.length, sha256: sha256(bytes) },
          files: [{ path: "memories.db", size: 2, sha256: sha256(files["memories.db"]) }],
        };
        const dest = join(root, `dest${counter++}`);
        const r = await safeExtract(createReadStream(out), { dest, manifest, maxBytes: 2 ** 20, maxUnpackedBytes: 2 ** 20 });
        expect(r.ok ? null : r.rejection.reason).toBe(c.reason);
        await expect(stat(dest)).rejects.toThrow();
      });
    }
  }
});
