import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admitEntry, type AdmissionState } from "../entry-admission";
import { ancestorsOf, checkEntryPath, MAX_PATH_BYTES, MAX_PATH_DEPTH, MAX_SEGMENT_BYTES } from "../path-rules";
import { assertProperty, FC_SEED, fuzzRuns } from "@recall/test-utils";

const files = [
  { path: "memories.db", size: 10, sha256: "a".repeat(64) },
  { path: "a/b/notes.txt", size: 3, sha256: "b".repeat(64) },
];

function state(over: Partial<AdmissionState> = {}): AdmissionState {
  return {
    listed: new Map(files.map((f) => [f.path, f])),
    allowedDirs: new Set(["a", "a/b"]),
    maxEntries: 10,
    maxUnpackedBytes: 100,
    seen: new Set(),
    entries: 0,
    declaredUnpacked: 0,
    ...over,
  };
}

describe("admitEntry (the pure header decision)", () => {
  it.each([
    [{ type: "File", path: "./memories.db", size: 10 }, { admit: true, path: "memories.db", kind: "file" }],
    [{ type: "Directory", path: "./", size: 0 }, { admit: true, path: "", kind: "dir" }],
    [{ type: "Directory", path: "a/./b/", size: 0 }, { admit: true, path: "a/b", kind: "dir" }],
    [{ type: "File", path: "../x", size: 1 }, { admit: false, reason: "unsafe_path" }],
    [{ type: "SymbolicLink", path: "memories.db", size: 0 }, { admit: false, reason: "link_entry" }],
    [{ type: "Link", path: "memories.db", size: 0 }, { admit: false, reason: "link_entry" }],
    [{ type: "FIFO", path: "p", size: 0 }, { admit: false, reason: "special_entry" }],
    [{ type: "File", path: "other", size: 1 }, { admit: false, reason: "unlisted_file" }],
    [{ type: "Directory", path: "stash/", size: 0 }, { admit: false, reason: "unlisted_file" }],
    [{ type: "File", path: "memories.db", size: 11 }, { admit: false, reason: "file_size_mismatch" }],
    [{ type: "File", path: ".", size: 0 }, { admit: false, reason: "unsafe_path" }],
  ])("%j → %j", (header, expected) => {
    expect(admitEntry(header, state())).toMatchObject(expected);
  });

  it("refuses the same path twice, however it is spelt", () => {
    const s = state();
    expect(admitEntry({ type: "File", path: "memories.db", size: 10 }, s).admit).toBe(true);
    expect(admitEntry({ type: "File", path: "./memories.db", size: 10 }, s)).toMatchObject({ reason: "duplicate_entry" });
  });

  it("counts entries and declared bytes against the caps", () => {
    const s = state({ maxEntries: 1 });
    expect(admitEntry({ type: "Directory", path: "a/", size: 0 }, s).admit).toBe(true);
    expect(admitEntry({ type: "Directory", path: "a/b/", size: 0 }, s)).toMatchObject({ reason: "too_many_entries" });
    const t = state({ maxUnpackedBytes: 12 });
    expect(admitEntry({ type: "File", path: "memories.db", size: 10 }, t).admit).toBe(true);
    expect(admitEntry({ type: "File", path: "a/b/notes.txt", size: 3 }, t)).toMatchObject({ reason: "unpacked_too_large" });
  });

  it("whatever it admits is a safe path (or the root), listed with its exact size, of a file or directory type", () => {
    const types = fc.constantFrom("File", "Directory", "SymbolicLink", "Link", "CharacterDevice", "FIFO", "ContiguousFile", "Unsupported");
    const names = fc.oneof(
      fc.constantFrom("memories.db", "./memories.db", "a/", "a/b/", "./a/./b/notes.txt", "./", ".", "..", "/x", "a//b"),
      fc.string({ maxLength: 30 }),
    );
    const r = fc.check(
      fc.property(fc.array(fc.record({ type: types, path: names, size: fc.nat({ max: 20 }) }), { maxLength: 12 }), (headers) => {
        const s = state({ maxEntries: 8 });
        headers.forEach((h, i) => {
          const d = admitEntry(h, s);
          expect(s.entries).toBe(i + 1);
          if (!d.admit) return;
          expect(["File", "Directory"]).toContain(h.type);
          expect(d.path === "" || checkEntryPath(d.path) === null).toBe(true);
          if (d.kind === "file") expect(files.find((f) => f.path === d.path)?.size).toBe(h.size);
          else expect(d.path === "" || s.allowedDirs.has(d.path)).toBe(true);
        });
        return true;
      }),
      { seed: FC_SEED, numRuns: fuzzRuns(500) },
    );
    if (r.failed) throw new Error(`property failed; replay with FC_SEED=${FC_SEED}\n${fc.defaultReportMessage(r) ?? ""}`);
  });
});

// Each class of rule, driven directly through admitEntry: no tarballs, no filesystem.
// The seed is FC_SEED (printed on failure by assertProperty).
const MAX_BYTES = 1000;
const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/).filter((s) => s !== "." && s !== "..");
const safePath = fc.array(segment, { minLength: 1, maxLength: MAX_PATH_DEPTH }).map((s) => s.join("/"));

/** A state listing `paths` (sizes from `sizes`), their parents as allowed directories. */
function stateFor(paths: readonly string[], sizes: readonly number[] = [], over: Partial<AdmissionState> = {}): AdmissionState {
  const listed = new Map<string, { path: string; size: number; sha256: string }>();
  paths.forEach((p, i) => listed.set(p, { path: p, size: sizes[i] ?? 1, sha256: "c".repeat(64) }));
  return {
    listed,
    allowedDirs: new Set(paths.flatMap((p) => ancestorsOf(p))),
    maxEntries: 1000,
    maxUnpackedBytes: Number.MAX_SAFE_INTEGER,
    seen: new Set(),
    entries: 0,
    declaredUnpacked: 0,
    ...over,
  };
}

/** Every way ordinary tools spell the same path: `./` prefixes, `/./` inside, `/.` at the end. */
function spelling(path: string, dots: readonly boolean[]): string {
  const segs = path.split("/");
  let out = dots[0] ? "./" : "";
  segs.forEach((s, i) => {
    out += s;
    if (i < segs.length - 1) out += dots[i + 1] ? "/./" : "/";
  });
  return out;
}

const dotFlags = fc.array(fc.boolean(), { minLength: MAX_PATH_DEPTH + 1, maxLength: MAX_PATH_DEPTH + 1 });

describe("admitEntry properties, rule by rule", () => {
  it("`.` segments: any spelling of a listed file is admitted as its normalised path; directories likewise, trailing slash or not", async () => {
    await assertProperty(
      fc.property(safePath, dotFlags, fc.boolean(), (path, dots, slash) => {
        const s = stateFor([`${path}/f`]);
        const asFile = admitEntry({ type: "File", path: spelling(`${path}/f`, dots), size: 1 }, s);
        expect(asFile).toEqual({ admit: true, path: `${path}/f`, kind: "file" });
        const dir = spelling(path, dots) + (slash ? "/" : "");
        expect(admitEntry({ type: "Directory", path: dir, size: 0 }, s)).toEqual({ admit: true, path, kind: "dir" });
      }),
      300,
    );
  });

  it("a `..` segment, an absolute name, a drive letter or an empty segment is unsafe_path wherever it is, listed or not", async () => {
    const badAt = fc.constantFrom("..", "", "/abs", "C:", "c:x");
    await assertProperty(
      fc.property(safePath, fc.nat(), badAt, fc.constantFrom("File", "Directory"), (path, at, bad, type) => {
        const segs = path.split("/");
        const i = at % (segs.length + 1);
        const raw = [...segs.slice(0, i), bad, ...segs.slice(i)].join("/");
        // the empty segment at the end of a directory name is its trailing slash, which is fine
        fc.pre(!(bad === "" && type === "Directory" && i === segs.length));
        fc.pre(!(bad === "C:" || bad === "c:x") || i === 0);
        const s = stateFor([raw, path]);
        const d = admitEntry({ type, path: raw, size: type === "File" ? 1 : 0 }, s);
        expect(d).toMatchObject({ admit: false, reason: "unsafe_path", path: raw });
        expect(s.seen.size).toBe(0);
      }),
      300,
    );
  });

  it("a NUL, any other control character or a backslash anywhere in the name is unsafe_path", async () => {
    const bad = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }), fc.constant(0x5c));
    await assertProperty(
      fc.property(safePath, fc.nat(), bad, fc.constantFrom("File", "Directory"), (path, at, code, type) => {
        const i = at % (path.length + 1);
        const raw = path.slice(0, i) + String.fromCharCode(code) + path.slice(i);
        const d = admitEntry({ type, path: raw, size: 0 }, stateFor([raw]));
        expect(d).toMatchObject({ admit: false, reason: "unsafe_path", path: raw });
      }),
      300,
    );
  });

  it(`depth: up to ${MAX_PATH_DEPTH} segments is admitted when listed, more is too_deep even when listed`, async () => {
    await assertProperty(
      fc.property(fc.array(segment, { minLength: 1, maxLength: MAX_PATH_DEPTH + 8 }), dotFlags, (segs, dots) => {
        const path = segs.join("/");
        const d = admitEntry({ type: "File", path: spelling(path, dots), size: 1 }, stateFor([path]));
        if (segs.length <= MAX_PATH_DEPTH) expect(d).toMatchObject({ admit: true, path });
        else expect(d).toMatchObject({ admit: false, reason: "too_deep" });
      }),
      300,
    );
  });

  it(`length: a segment over ${MAX_SEGMENT_BYTES} bytes or a name over ${MAX_PATH_BYTES} bytes is unsafe_path (UTF-8 bytes, not characters)`, async () => {
    const ch = fc.constantFrom("a", "é", "€", "😀");
    await assertProperty(
      fc.property(ch, fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 12 }), (c, reps, count) => {
        const seg = c.repeat(reps);
        const path = Array.from({ length: count }, () => seg).join("/");
        const segBytes = Buffer.byteLength(seg);
        const d = admitEntry({ type: "File", path, size: 1 }, stateFor([path]));
        const fits = segBytes <= MAX_SEGMENT_BYTES && Buffer.byteLength(path) <= MAX_PATH_BYTES;
        if (fits) expect(d).toMatchObject({ admit: true, path });
        else expect(d).toMatchObject({ admit: false, reason: "unsafe_path" });
      }),
      300,
    );
  });

  it("entry types: only File and Directory are ever admitted; links are link_entry, everything else special_entry, whatever the name", async () => {
    const type = fc.oneof(
      fc.constantFrom("SymbolicLink", "Link", "CharacterDevice", "BlockDevice", "FIFO", "ContiguousFile", "Unsupported", "GNUDumpDir"),
      fc.string({ maxLength: 12 }).filter((t) => t !== "File" && t !== "Directory"),
    );
    await assertProperty(
      fc.property(type, safePath, (t, path) => {
        const s = stateFor([path]);
        const d = admitEntry({ type: t, path, size: 0 }, s);
        const reason = t === "SymbolicLink" || t === "Link" ? "link_entry" : "special_entry";
        expect(d).toMatchObject({ admit: false, reason, path });
        expect(s.seen.size).toBe(0);
      }),
      300,
    );
  });

  it("duplicates: of any run of spellings of one path, only the first is admitted; the rest are duplicate_entry", async () => {
    await assertProperty(
      fc.property(safePath, fc.array(dotFlags, { minLength: 2, maxLength: 6 }), fc.constantFrom("File", "Directory"), (path, spellings, type) => {
        const file = `${path}/f`;
        const target = type === "File" ? file : path;
        const s = stateFor([file]);
        const decisions = spellings.map((dots) => admitEntry({ type, path: spelling(target, dots), size: type === "File" ? 1 : 0 }, s));
        expect(decisions[0]).toMatchObject({ admit: true, path: target });
        for (const d of decisions.slice(1)) expect(d).toMatchObject({ admit: false, reason: "duplicate_entry", path: target });
      }),
      300,
    );
  });

  it("listed: a safe file name is admitted iff the manifest lists it, a directory iff it is a parent of a listed file (or the root)", async () => {
    await assertProperty(
      fc.property(fc.uniqueArray(safePath, { minLength: 1, maxLength: 6 }), safePath, fc.boolean(), (listedPaths, probe, asDir) => {
        const s = stateFor(listedPaths);
        const d = admitEntry({ type: asDir ? "Directory" : "File", path: asDir ? `${probe}/` : probe, size: asDir ? 0 : 1 }, s);
        const allowed = asDir ? listedPaths.some((p) => p.startsWith(`${probe}/`)) : listedPaths.includes(probe);
        if (allowed) expect(d).toMatchObject({ admit: true, path: probe });
        else expect(d).toMatchObject({ admit: false, reason: "unlisted_file", path: probe });
      }),
      300,
    );
    expect(admitEntry({ type: "Directory", path: "./", size: 0 }, stateFor(["x"]))).toEqual({ admit: true, path: "", kind: "dir" });
  });

  it("sizes: a file whose header size differs from the manifest is file_size_mismatch; a directory with a body is corrupt_archive", async () => {
    await assertProperty(
      fc.property(safePath, fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), (path, listedSize, headerSize) => {
        const s = stateFor([`${path}/f`], [listedSize]);
        const d = admitEntry({ type: "File", path: `${path}/f`, size: headerSize }, s);
        if (headerSize === listedSize) expect(d).toMatchObject({ admit: true });
        else expect(d).toMatchObject({ admit: false, reason: "file_size_mismatch", path: `${path}/f` });
        const dir = admitEntry({ type: "Directory", path, size: headerSize }, s);
        if (headerSize === 0) expect(dir).toMatchObject({ admit: true });
        else expect(dir).toMatchObject({ admit: false, reason: "corrupt_archive", path });
      }),
      300,
    );
  });

  it("unpacked cap: files are admitted while their declared sizes add up to at most the cap; the first one past it is unpacked_too_large", async () => {
    await assertProperty(
      fc.property(fc.array(fc.nat({ max: MAX_BYTES }), { minLength: 1, maxLength: 12 }), fc.nat({ max: 4 * MAX_BYTES }), (sizes, cap) => {
        const paths = sizes.map((_, i) => `f${i}`);
        const s = stateFor(paths, sizes, { maxUnpackedBytes: cap });
        let total = 0;
        for (const [i, size] of sizes.entries()) {
          total += size;
          const d = admitEntry({ type: "File", path: paths[i] as string, size }, s);
          if (total <= cap) expect(d).toMatchObject({ admit: true });
          else {
            expect(d).toMatchObject({ admit: false, reason: "unpacked_too_large", path: paths[i] });
            return;
          }
        }
      }),
      300,
    );
  });

  it("entry cap: every header counts, refused ones included; each one past maxEntries is too_many_entries before anything else is looked at", async () => {
    const header = fc.record({
      type: fc.constantFrom("File", "Directory", "SymbolicLink", "FIFO"),
      path: fc.oneof(fc.constantFrom("f0", "f1", "d/f2", "d/", "./", "../x"), fc.string({ maxLength: 10 })),
      size: fc.nat({ max: 3 }),
    });
    await assertProperty(
      fc.property(fc.array(header, { maxLength: 30 }), fc.nat({ max: 20 }), (headers, cap) => {
        const s = stateFor(["f0", "f1", "d/f2"], [1, 1, 1], { maxEntries: cap });
        headers.forEach((h, i) => {
          const d = admitEntry(h, s);
          expect(s.entries).toBe(i + 1);
          if (i + 1 > cap) expect(d).toMatchObject({ admit: false, reason: "too_many_entries" });
        });
      }),
      300,
    );
  });
});
