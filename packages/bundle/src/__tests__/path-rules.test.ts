import { resolve } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkEntryPath, MAX_PATH_DEPTH, parseManifest } from "../index";
import { normalizeEntryPath } from "../path-rules";

const asciiSegment = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._ -]{0,30}$/);
const unicodeSegment = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 12 })
  .filter(
    (s) =>
      s !== "." &&
      s !== ".." &&
      // eslint-disable-next-line no-control-regex
      !/[/\\\u0000-\u001f\u007f-\u009f]/.test(s) &&
      !/^[A-Za-z]:/.test(s) &&
      Buffer.byteLength(s) <= 255,
  );
const segment = fc.oneof(asciiSegment, unicodeSegment);
const safeSegments = fc.array(segment, { minLength: 1, maxLength: MAX_PATH_DEPTH });
const safePath = safeSegments.map((s) => s.join("/"));

describe("checkEntryPath (properties)", () => {
  it("accepts every generated safe path of depth 1..16", () => {
    fc.assert(fc.property(safePath, (p) => checkEntryPath(p) === null));
  });

  it("whatever it accepts resolves strictly inside the target directory", () => {
    fc.assert(
      fc.property(fc.oneof(safePath, fc.string({ unit: "binary", maxLength: 60 })), (p) => {
        if (checkEntryPath(p) !== null) return true;
        const abs = resolve("/dest", p);
        return abs.startsWith("/dest/") && abs !== "/dest/";
      }),
      { numRuns: 2000 },
    );
  });

  it("rejects a `..` segment anywhere", () => {
    fc.assert(
      fc.property(safeSegments, fc.nat(), (segs, at) => {
        const s = [...segs];
        s.splice(at % (s.length + 1), 0, "..");
        return checkEntryPath(s.join("/")) === "unsafe_path";
      }),
    );
  });

  it("rejects a leading /", () => {
    fc.assert(fc.property(safePath, (p) => checkEntryPath(`/${p}`) === "unsafe_path"));
  });

  it("rejects a NUL or a backslash anywhere", () => {
    fc.assert(
      fc.property(safePath, fc.nat(), fc.constantFrom("\0", "\\"), (p, at, bad) => {
        const i = at % (p.length + 1);
        return checkEntryPath(p.slice(0, i) + bad + p.slice(i)) === "unsafe_path";
      }),
    );
  });

  it("rejects more than 16 segments as too_deep", () => {
    fc.assert(
      fc.property(fc.array(asciiSegment, { minLength: MAX_PATH_DEPTH + 1, maxLength: 40 }), (segs) => {
        return checkEntryPath(segs.join("/")) === "too_deep";
      }),
    );
  });

  it("rejects empty segments (a//b, trailing /) and `.` segments", () => {
    fc.assert(
      fc.property(safeSegments, fc.nat(), fc.constantFrom("", "."), (segs, at, bad) => {
        const s = [...segs];
        s.splice(at % (s.length + 1), 0, bad);
        return checkEntryPath(s.join("/")) === "unsafe_path";
      }),
    );
  });

  it("the manifest schema applies the same rule to files[].path", () => {
    fc.assert(
      fc.property(fc.oneof(safePath, fc.string({ unit: "binary", maxLength: 40 })), (p) => {
        const r = parseManifest({
          format: 1,
          bundle_id: "b1",
          schema_version: "1.0.0",
          created_at: "2026-11-26T08:00:00Z",
          archive: { path: "bundle-b1.tar.gz", size: 1, sha256: "a".repeat(64) },
          files: [{ path: p, size: 0, sha256: "b".repeat(64) }],
        });
        return r.ok === (checkEntryPath(p) === null);
      }),
    );
  });
});

describe("checkEntryPath (examples)", () => {
  it.each([
    ["memories.db", null],
    ["a/b/c.txt", null],
    ["ファイル/é.txt", null],
    [".hidden", null],
    ["a..b", null],
    [`${"a/".repeat(15)}f`, null],
    [`${"a/".repeat(16)}f`, "too_deep"],
    ["", "unsafe_path"],
    ["/etc/passwd", "unsafe_path"],
    ["../x", "unsafe_path"],
    ["a/../../x", "unsafe_path"],
    ["a/..", "unsafe_path"],
    ["./a", "unsafe_path"],
    ["a//b", "unsafe_path"],
    ["a/", "unsafe_path"],
    ["a\\b", "unsafe_path"],
    ["a\0b", "unsafe_path"],
    ["C:x", "unsafe_path"],
    ["a\nb", "unsafe_path"],
    ["\ud800", "unsafe_path"],
    ["x".repeat(256), "unsafe_path"],
    [`${"x".repeat(200)}/`.repeat(6) + "f", "unsafe_path"],
  ])("%j → %s", (p, expected) => {
    expect(checkEntryPath(p)).toBe(expected);
  });
});

describe("normalizeEntryPath (tar entry names as tools write them)", () => {
  it.each([
    ["./memories.db", false, "memories.db"],
    ["././memories.db", false, "memories.db"],
    ["a/./b", false, "a/b"],
    ["./a/b/", true, "a/b"],
    ["a/.", true, "a"],
    ["./", true, null],
    [".", true, null],
    ["memories.db", false, "memories.db"],
  ])("%j (dir %s) → %j", (raw, dir, expected) => {
    expect(normalizeEntryPath(raw, dir)).toEqual({ ok: true, path: expected });
  });

  it.each([
    ["./../x", "unsafe_path"],
    ["a/./../x", "unsafe_path"],
    [".//etc/passwd", "unsafe_path"],
    ["/./x", "unsafe_path"],
    ["a//b", "unsafe_path"],
    [`./${"a/./".repeat(17)}f`, "too_deep"],
    ["./".repeat(2000) + "x", "unsafe_path"],
  ])("%j → %s", (raw, problem) => {
    expect(normalizeEntryPath(raw, false)).toEqual({ ok: false, problem });
  });

  it("`./` prefixes and `.` segments never change what a safe path means", () => {
    fc.assert(
      fc.property(safeSegments, fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), (segs, dots, lead) => {
        const s = [...segs];
        for (const d of dots) s.splice(d % (s.length + 1), 0, ".");
        const raw = (lead ? "./" : "") + s.join("/");
        const r = normalizeEntryPath(raw, false);
        return r.ok && r.path === segs.join("/");
      }),
    );
  });

  it("whatever it accepts resolves strictly inside the target directory", () => {
    fc.assert(
      fc.property(fc.oneof(safePath, fc.string({ unit: "binary", maxLength: 60 }), safePath.map((p) => `./${p}`)), (p) => {
        const r = normalizeEntryPath(p, false);
        if (!r.ok || r.path === null) return true;
        const abs = resolve("/dest", r.path);
        return abs.startsWith("/dest/") && checkEntryPath(r.path) === null;
      }),
      { numRuns: 2000 },
    );
  });
});
