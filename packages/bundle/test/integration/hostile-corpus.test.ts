import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { safeExtract, type Manifest, type RejectReason, type SafeExtractOptions } from "../../src/index";
import { file, gz, manifestFor, paxEntry, rawTar, sha256, type RawEntry } from "../helpers/raw-tar";

const DB = "SQLite format 3\0 pretend database bytes";
const MiB = 1024 * 1024;

/** Feeds `buf` in small chunks so every check runs on a real stream, not one buffer. */
function chunked(buf: Buffer, size = 4096): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
    })(),
    { objectMode: false },
  );
}

/** Every path under `dir` with its type, size and mode: what "unchanged" means. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    for (const name of (await readdir(d)).sort()) {
      const st = await lstat(join(d, name));
      const r = `${rel}/${name}`;
      out.push(`${r} ${st.isDirectory() ? "d" : st.isSymbolicLink() ? "l" : "f"} ${st.size} ${st.mode.toString(8)}`);
      if (st.isDirectory()) await walk(join(d, name), r);
    }
  }
  await walk(dir, "");
  return out;
}

interface Case {
  name: string;
  build(): { archive: Buffer; manifest: Manifest; opts?: Partial<SafeExtractOptions> };
  reason: RejectReason;
  path?: string;
  /** Absolute paths that must not exist afterwards. */
  mustNotExist?: string[];
}

const absTarget = join(tmpdir(), `recall-bundle-abs-${randomBytes(6).toString("hex")}`);

function simple(entries: RawEntry[], files: Record<string, string | Buffer> = { "memories.db": DB }) {
  const archive = gz(rawTar(entries));
  return { archive, manifest: manifestFor(archive, files) };
}

const cases: Case[] = [
  {
    name: "traversal ../x",
    build: () => simple([file("memories.db", DB), file("../escaped", "pwned")]),
    reason: "unsafe_path",
    path: "../escaped",
  },
  {
    name: "traversal a/../../x",
    build: () => simple([file("a/../../escaped2", "pwned"), file("memories.db", DB)]),
    reason: "unsafe_path",
    path: "a/../../escaped2",
  },
  {
    name: "absolute path",
    build: () => simple([file(absTarget, "pwned"), file("memories.db", DB)]),
    reason: "unsafe_path",
    path: absTarget,
    mustNotExist: [absTarget],
  },
  {
    name: "symlink to / then a file through it",
    build: () =>
      simple([{ name: "evil", type: "2", linkname: "/" }, file(`evil${absTarget}`, "pwned"), file("memories.db", DB)]),
    reason: "link_entry",
    path: "evil",
    mustNotExist: [absTarget],
  },
  {
    name: "symlink inside dest",
    build: () => simple([file("memories.db", DB), { name: "alias.db", type: "2", linkname: "memories.db" }]),
    reason: "link_entry",
    path: "alias.db",
  },
  {
    name: "hardlink escape",
    build: () => simple([{ name: "hl", type: "1", linkname: "../../outside/sentinel.txt" }, file("memories.db", DB)]),
    reason: "link_entry",
    path: "hl",
  },
  {
    name: "hardlink to a listed file",
    build: () => simple([file("memories.db", DB), { name: "memories.db", type: "1", linkname: "memories.db" }]),
    reason: "link_entry",
  },
  { name: "char device", build: () => simple([{ name: "null", type: "3" }]), reason: "special_entry", path: "null" },
  { name: "block device", build: () => simple([{ name: "sda", type: "4" }]), reason: "special_entry", path: "sda" },
  { name: "fifo", build: () => simple([file("memories.db", DB), { name: "pipe", type: "6" }]), reason: "special_entry", path: "pipe" },
  {
    name: "contiguous file type",
    build: () => simple([{ name: "memories.db", type: "7", body: Buffer.from(DB) }]),
    reason: "special_entry",
  },
  {
    name: "unknown entry type",
    build: () => simple([{ name: "weird", type: "Z", body: Buffer.from("x") }, file("memories.db", DB)]),
    reason: "special_entry",
  },
  {
    name: "duplicate path",
    build: () => simple([file("memories.db", DB), file("memories.db", DB)]),
    reason: "duplicate_entry",
    path: "memories.db",
  },
  {
    name: "unlisted extra file",
    build: () => simple([file("memories.db", DB), file("extra.txt", "surprise")]),
    reason: "unlisted_file",
    path: "extra.txt",
  },
  {
    name: "directory that holds no listed file",
    build: () => simple([{ name: "stash/", type: "5" }, file("memories.db", DB)]),
    reason: "unlisted_file",
    path: "stash",
  },
  {
    name: "missing listed file",
    build: () => simple([file("memories.db", DB)], { "memories.db": DB, "extra/other.db": "other" }),
    reason: "missing_file",
    path: "extra/other.db",
  },
  {
    name: "size mismatch",
    build: () => {
      const archive = gz(rawTar([file("memories.db", DB)]));
      return { archive, manifest: manifestFor(archive, { "memories.db": { size: 5, sha256: sha256(DB) } }) };
    },
    reason: "file_size_mismatch",
    path: "memories.db",
  },
  {
    name: "sha256 mismatch",
    build: () => {
      const other = DB.replace("pretend", "tampered");
      const archive = gz(rawTar([file("memories.db", other.slice(0, DB.length))]));
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "file_hash_mismatch",
    path: "memories.db",
  },
  {
    name: "tar header size lies (larger than the data that follows)",
    build: () => {
      const archive = gz(rawTar([{ name: "memories.db", body: Buffer.from(DB), size: 4096 }], { eof: false }));
      return { archive, manifest: manifestFor(archive, { "memories.db": { size: 4096, sha256: sha256(DB) } }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "archive smaller than the manifest states",
    build: () => {
      const { archive, manifest } = simple([file("memories.db", DB)]);
      return { archive, manifest: { ...manifest, archive: { ...manifest.archive, size: archive.length + 10 } } };
    },
    reason: "archive_size_mismatch",
  },
  {
    name: "archive larger than the manifest states",
    build: () => {
      const { archive, manifest } = simple([file("memories.db", DB)]);
      return { archive, manifest: { ...manifest, archive: { ...manifest.archive, size: archive.length - 10 } } };
    },
    reason: "archive_size_mismatch",
  },
  {
    name: "archive hash lie",
    build: () => {
      const { archive, manifest } = simple([file("memories.db", DB)]);
      return { archive, manifest: { ...manifest, archive: { ...manifest.archive, sha256: sha256("other") } } };
    },
    reason: "archive_hash_mismatch",
  },
  {
    name: "truncated gzip",
    build: () => {
      const content = randomBytes(64 * 1024);
      const full = gz(rawTar([file("memories.db", content)]));
      const archive = full.subarray(0, full.length - 100);
      return { archive, manifest: manifestFor(archive, { "memories.db": content }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "short read: the archive stops before the size the manifest states",
    build: () => {
      const content = randomBytes(64 * 1024);
      const full = gz(rawTar([file("memories.db", content)]));
      const manifest = manifestFor(full, { "memories.db": content });
      return { archive: full.subarray(0, full.length - 1000), manifest };
    },
    reason: "archive_size_mismatch",
  },
  {
    name: "not gzip at all",
    build: () => {
      const archive = rawTar([file("memories.db", DB)]);
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "nested gzip inside gzip",
    build: () => {
      const archive = gz(gz(rawTar([file("memories.db", DB)])));
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "base-256 size field beyond 2^53 (node-tar's Header throws on it)",
    build: () => {
      const t = rawTar([file("memories.db", DB)]);
      t.fill(0xff, 124, 136);
      t[124] = 0x80; // size: base-256, positive, 2^88 - 1
      let sum = 0;
      t.fill(0x20, 148, 156);
      for (let i = 0; i < 512; i++) sum += t[i] as number;
      t.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
      const archive = gz(t);
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "bad header checksum",
    build: () => {
      const tar = rawTar([file("memories.db", DB)]);
      tar[0] = "n".charCodeAt(0);
      const archive = gz(tar);
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "empty tar",
    build: () => simple([]),
    reason: "corrupt_archive",
  },
  {
    name: "gzip bomb: a listed file larger than the unpacked cap",
    build: () => {
      const zeros = Buffer.alloc(64 * MiB);
      const archive = gz(rawTar([file("memories.db", zeros)]));
      return { archive, manifest: manifestFor(archive, { "memories.db": zeros }), opts: { maxUnpackedBytes: 8 * MiB } };
    },
    reason: "unpacked_too_large",
  },
  {
    name: "gzip bomb: a listed file whose header lies about its size",
    build: () => {
      const zeros = Buffer.alloc(64 * MiB);
      const archive = gz(rawTar([file("memories.db", zeros)]));
      return {
        archive,
        manifest: manifestFor(archive, { "memories.db": DB }),
        opts: { maxUnpackedBytes: 8 * MiB },
      };
    },
    reason: "file_size_mismatch",
  },
  {
    name: "gzip bomb: zeros streamed after the end of the tar",
    build: () => {
      const tar = Buffer.concat([rawTar([file("memories.db", DB)]), Buffer.alloc(32 * MiB)]);
      const archive = gz(tar);
      return {
        archive,
        manifest: manifestFor(archive, { "memories.db": DB }),
        opts: { maxUnpackedBytes: 1 * MiB, maxEntries: 10 },
      };
    },
    reason: "corrupt_archive",
  },
  {
    name: "32 MiB of zeros after the end of the tar, default caps (the issue's case)",
    build: () => {
      const archive = gz(Buffer.concat([rawTar([file("memories.db", DB)]), Buffer.alloc(32 * MiB)]));
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "zero padding just over 64 KiB after the end marker",
    build: () => {
      const archive = gz(Buffer.concat([rawTar([file("memories.db", DB)]), Buffer.alloc(64 * 1024 + 1)]));
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "one non-zero byte right after the end marker",
    build: () => {
      const archive = gz(Buffer.concat([rawTar([file("memories.db", DB)]), Buffer.from([1])]));
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "a non-zero byte inside the record padding",
    build: () => {
      const pad = Buffer.alloc(9216);
      pad[9000] = 0x41;
      const archive = gz(Buffer.concat([rawTar([file("memories.db", DB)]), pad]));
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "a second tar appended after the end marker (tar -i would read it)",
    build: () => {
      const archive = gz(Buffer.concat([rawTar([file("memories.db", DB)]), rawTar([file("smuggled.txt", "x")])]));
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "a second gzip member holding data after the tar",
    build: () => {
      const archive = Buffer.concat([gz(rawTar([file("memories.db", DB)])), gz(Buffer.from("trailing data"))]);
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "non-gzip bytes after the gzip stream",
    build: () => {
      const archive = Buffer.concat([gz(rawTar([file("memories.db", DB)])), Buffer.from("garbage after the gzip trailer")]);
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "corrupt_archive",
  },
  {
    name: "decompressed stream far beyond what the listed files need (small manifest, big entry cap)",
    build: () => {
      // 2 MiB of pax comments before one small listed file: the tar allowance comes from files.length.
      const comments = Array.from({ length: 40 }, (_, i) => paxEntry({ comment: `${i}`.padEnd(60 * 1024, "z") }));
      const archive = gz(rawTar([...comments, file("memories.db", DB)]));
      return { archive, manifest: manifestFor(archive, { "memories.db": DB }) };
    },
    reason: "unpacked_too_large",
  },
  {
    name: "archive over maxBytes",
    build: () => {
      const { archive, manifest } = simple([file("memories.db", randomBytes(8192))], {
        "memories.db": DB,
      });
      return { archive, manifest, opts: { maxBytes: archive.length - 1 } };
    },
    reason: "archive_too_large",
  },
  {
    name: "more entries than maxEntries",
    build: () =>
      ({
        ...simple(
          [{ name: "d1/", type: "5" }, { name: "d1/d2/", type: "5" }, { name: "d1/d2/d3/", type: "5" }, file("d1/d2/d3/f", "x")],
          { "d1/d2/d3/f": "x" },
        ),
        opts: { maxEntries: 3 },
      }),
    reason: "too_many_entries",
  },
  {
    name: "a flood of extended headers with no entries",
    build: () => ({
      ...simple(Array.from({ length: 40 }, (_, i) => paxEntry({ comment: `c${i}` })), { "memories.db": DB }),
      opts: { maxEntries: 10 },
    }),
    reason: "too_many_entries",
  },
  {
    name: "depth 17",
    build: () => simple([file(`${"a/".repeat(16)}f`, "deep"), file("memories.db", DB)]),
    reason: "too_deep",
  },
  {
    name: "NUL in a pax path",
    build: () => simple([paxEntry({ path: "memories.db\0../../x" }), file("placeholder", DB)]),
    reason: "unsafe_path",
  },
  {
    name: "NUL inside a GNU long name",
    build: () =>
      simple([{ name: "././@LongLink", type: "L", body: Buffer.from("memories.db\0../../x\0") }, file("harmless", DB)]),
    reason: "unsafe_path",
  },
  {
    name: "backslash in a path",
    build: () => simple([file("..\\escaped", "pwned"), file("memories.db", DB)]),
    reason: "unsafe_path",
    path: "..\\escaped",
  },
  {
    name: "pax header rewrites a harmless name into a traversal",
    build: () => simple([paxEntry({ path: "../paxescape" }), file("memories.db", DB)]),
    reason: "unsafe_path",
    path: "../paxescape",
  },
  {
    name: "GNU long name traversal",
    build: () =>
      simple([{ name: "././@LongLink", type: "L", body: Buffer.from("../../longescape\0") }, file("harmless", "x")]),
    reason: "unsafe_path",
    path: "../../longescape",
  },
  {
    name: "ustar prefix makes an absolute path",
    build: () => simple([{ ...file("x", "pwned"), prefix: absTarget }, file("memories.db", DB)]),
    reason: "unsafe_path",
    mustNotExist: [absTarget],
  },
  {
    name: "empty path segment",
    build: () => simple([file("memories.db", DB), file("sub//memories.db", DB)], { "memories.db": DB }),
    reason: "unsafe_path",
  },
  {
    name: "dot segment aliasing another name is normalised, then a duplicate",
    build: () => simple([file("memories.db", DB), file("./memories.db", DB)]),
    reason: "duplicate_entry",
    path: "memories.db",
  },
  {
    name: "a/./b aliasing a/b",
    build: () => simple([file("a/b", DB), file("a/./b", DB)], { "a/b": DB }),
    reason: "duplicate_entry",
    path: "a/b",
  },
  {
    name: "the root ./ twice",
    build: () => simple([{ name: "./", type: "5" }, { name: "./", type: "5" }, file("memories.db", DB)]),
    reason: "duplicate_entry",
  },
  {
    name: "a file named . (the root as a file)",
    build: () => simple([file(".", DB), file("memories.db", DB)]),
    reason: "unsafe_path",
  },
  {
    name: "./ followed by a traversal",
    build: () => simple([file("./../escaped3", "pwned"), file("memories.db", DB)]),
    reason: "unsafe_path",
    path: "./../escaped3",
  },
  {
    name: "./ followed by an empty segment (.//x is /x)",
    build: () => simple([file(".//etc/x", "pwned"), file("memories.db", DB)]),
    reason: "unsafe_path",
  },
  {
    name: "./ segments do not make a too-deep path shallow",
    build: () => simple([file(`./${"a/./".repeat(17)}f`, "deep"), file("memories.db", DB)]),
    reason: "too_deep",
  },
  {
    name: "directory with a body",
    build: () => simple([{ name: "d/", type: "5", body: Buffer.from("hidden") }, file("d/memories.db", DB)], { "d/memories.db": DB }),
    reason: "corrupt_archive",
  },
  {
    name: "file listed, then rejected entry after files were written",
    build: () =>
      simple([file("a/one.db", DB), file("b/two.db", DB), { name: "b/link", type: "2", linkname: "../../../outside" }], {
        "a/one.db": DB,
        "b/two.db": DB,
      }),
    reason: "link_entry",
    path: "b/link",
  },
];

describe("safeExtract rejects a hostile corpus", () => {
  let root: string;
  let dest: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "recall-bundle-hostile-"));
    await mkdir(join(root, "outside"));
    await writeFile(join(root, "outside", "sentinel.txt"), "do not touch");
    await mkdir(join(root, "stage", "bundles"), { recursive: true });
    dest = join(root, "stage", "bundles", "incoming");
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(absTarget, { recursive: true, force: true });
  });

  it.each(cases)("$name → $reason", async (c) => {
    const { archive, manifest, opts } = c.build();
    const before = await snapshot(root);
    const r = await safeExtract(chunked(archive), {
      dest,
      manifest,
      maxBytes: 512 * MiB,
      maxUnpackedBytes: 512 * MiB,
      ...opts,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rejection.reason).toBe(c.reason);
    expect(r.rejection.code).toBe(`BUNDLE_${c.reason.toUpperCase()}`);
    if (c.path !== undefined) expect(r.rejection.path).toBe(c.path);
    expect(existsSync(dest)).toBe(false);
    expect(await snapshot(root)).toEqual(before);
    for (const p of c.mustNotExist ?? []) expect(existsSync(p)).toBe(false);
  });
});

describe("safeExtract rejection details", () => {
  it("reports every reason as a BundleRejected with a message free of raw control bytes", async () => {
    const root = await mkdtemp(join(tmpdir(), "recall-bundle-msg-"));
    try {
      const { archive, manifest } = simple([file("evil\u001b[31m/../../x", "pwned")]);
      const r = await safeExtract(chunked(archive), {
        dest: join(root, "d"),
        manifest,
        maxBytes: MiB,
        maxUnpackedBytes: MiB,
      });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.rejection.reason).toBe("unsafe_path");
      expect(r.rejection.message.includes("\u001b")).toBe(false);
      expect(r.rejection).toBeInstanceOf(Error);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("checks the raw header before the manifest: a too-deep entry is too_deep, not unlisted", async () => {
    const root = await mkdtemp(join(tmpdir(), "recall-bundle-order-"));
    try {
      const deep = `${"d/".repeat(20)}f`;
      const { archive, manifest } = simple([file(deep, "x")]);
      const r = await safeExtract(chunked(archive), { dest: join(root, "d"), manifest, maxBytes: MiB, maxUnpackedBytes: MiB });
      expect(r.ok ? null : r.rejection.reason).toBe("too_deep");
      expect(r.ok ? null : r.rejection.path).toBe(deep);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

