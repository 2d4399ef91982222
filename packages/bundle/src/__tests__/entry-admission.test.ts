import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admitEntry, type AdmissionState } from "../entry-admission";
import { checkEntryPath } from "../path-rules";
import { FC_SEED, fuzzRuns } from "../../test/helpers/fuzz";

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
