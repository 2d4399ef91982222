import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  BUNDLE_ERROR_CODES,
  BundleError,
  BundleRejected,
  BundleRejectedError,
  DEFAULT_MAX_ENTRIES,
  MAX_PATH_DEPTH,
  MAX_TRAILING_ZERO_BYTES,
  REJECT_FIXES,
  REJECT_REASONS,
  type BundleErrorCode,
} from "../index";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

describe("reject reasons and their fixes", () => {
  it("every reason has exactly one fix, and nothing else does", () => {
    expect(Object.keys(REJECT_FIXES).sort()).toEqual([...REJECT_REASONS].sort());
    for (const r of REJECT_REASONS) expect(REJECT_FIXES[r].length).toBeGreaterThan(20);
  });

  it("the README lists every reason with its fix text, as the code has it", () => {
    for (const r of REJECT_REASONS) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${r}\` |`));
      expect(row, r).toBeDefined();
      expect(row).toContain(REJECT_FIXES[r].replaceAll("|", "\\|"));
    }
  });

  it("each fix names that reason's real cause", () => {
    // `./` is accepted now: unsafe_path must not send people to rebuild from a "clean directory".
    expect(REJECT_FIXES.unsafe_path).not.toMatch(/clean directory/);
    expect(REJECT_FIXES.unsafe_path).toContain("./memories.db");
    expect(REJECT_FIXES.too_deep).toContain(String(MAX_PATH_DEPTH));
    expect(DEFAULT_MAX_ENTRIES).toBe(100_000);
    expect(REJECT_FIXES.too_many_entries).toContain("100 000");
    expect(REJECT_FIXES.corrupt_archive).toContain("end-of-archive");
    expect(REJECT_FIXES.corrupt_archive).toContain(`${MAX_TRAILING_ZERO_BYTES / 1024} KiB`);
    expect(REJECT_FIXES.link_entry).toMatch(/symlink|hardlink/);
    expect(REJECT_FIXES.special_entry).toMatch(/device|fifo/);
    expect(REJECT_FIXES.duplicate_entry).toContain("./x");
    expect(REJECT_FIXES.unpacked_too_large).toContain("memory.bundle_max_unpacked_bytes");
    expect(REJECT_FIXES.archive_too_large).toContain("memory.bundle_max_bytes");
    expect(REJECT_FIXES.bad_signature).toContain("memory.bundle_public_keys");
    expect(REJECT_FIXES.schema_out_of_range).toContain("memory.bundle_schema_range");
    // The reasons an outsider can cause never blame the local configuration alone.
    for (const r of ["unsafe_path", "link_entry", "special_entry", "corrupt_archive"] as const) {
      expect(REJECT_FIXES[r]).not.toMatch(/raise|memory\.bundle_/);
    }
  });

  it("the README documents every error code", () => {
    for (const r of REJECT_REASONS) expect(readme).toContain(`\`${r}\``);
    for (const code of ["BUNDLE_DEST_EXISTS", "BUNDLE_IO", "BUNDLE_PACK_INPUT", "BUNDLE_BAD_KEY"]) expect(readme).toContain(code);
  });
});

describe("untrusted names in messages", () => {
  it("are quoted with every terminal control escaped (C0, DEL, C1, bidi overrides) and bounded", async () => {
    const { quotePath } = await import("../quote-path");
    const q = quotePath("a\u001b[31m\u007f\u009b\u202e\u2066b".padEnd(5000, "x"));
    // eslint-disable-next-line no-control-regex
    expect(q).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(q).toContain("\\u001b");
    expect(q).toContain("\\u009b");
    expect(q).toContain("\\u202e");
    expect(q.length).toBeLessThan(300);
  });
});

describe("the error scheme", () => {
  /** The rows of the README's "Error codes" table: code → its cells. */
  function readmeCodeTable(): Map<string, string[]> {
    const start = readme.indexOf("\n### Error codes\n");
    expect(start, "README has an 'Error codes' section").toBeGreaterThan(-1);
    const end = readme.indexOf("\n## ", start + 1);
    const section = readme.slice(start, end === -1 ? undefined : end);
    const rows = new Map<string, string[]>();
    for (const line of section.split("\n")) {
      const m = /^\| `([A-Z0-9_]+)` \|(.*)\|$/.exec(line);
      if (!m) continue;
      expect(rows.has(m[1] as string), `${m[1]} documented twice`).toBe(false);
      rows.set(m[1] as string, (m[2] as string).split(" | ").map((c) => c.trim()));
    }
    return rows;
  }

  it("the README's codes table and BUNDLE_ERROR_CODES hold exactly the same codes (both ways)", () => {
    const documented = [...readmeCodeTable().keys()].sort();
    const exported = [...BUNDLE_ERROR_CODES].sort();
    expect(new Set(exported).size).toBe(exported.length);
    expect(documented.filter((c) => !exported.includes(c as BundleErrorCode)), "documented but not in the catalogue").toEqual([]);
    expect(exported.filter((c) => !documented.includes(c)), "in the catalogue but not documented").toEqual([]);
  });

  it("every reject reason has its code in the catalogue, documented as a BundleRejectedError; the rest are plain BundleErrors", () => {
    const rows = readmeCodeTable();
    const rejectionCodes = REJECT_REASONS.map((r) => `BUNDLE_${r.toUpperCase()}`);
    for (const code of rejectionCodes) {
      expect(BUNDLE_ERROR_CODES).toContain(code);
      expect(rows.get(code)?.[0]).toBe("`BundleRejectedError`");
    }
    for (const code of BUNDLE_ERROR_CODES.filter((c) => !rejectionCodes.includes(c))) {
      expect(rows.get(code)?.[0], code).toBe("`BundleError`");
      expect(rows.get(code)?.[1], code).toMatch(/^thrown by /);
    }
  });

  it("each reason's rejection carries its code, is a BundleError, and names its class; no exit code inside", () => {
    for (const r of REJECT_REASONS) {
      const e = new BundleRejectedError(r, "m", { path: "p", cause: new Error("c") });
      expect(e).toBeInstanceOf(BundleError);
      expect(e).toBeInstanceOf(Error);
      expect(e.code).toBe(`BUNDLE_${r.toUpperCase()}`);
      expect(e.reason).toBe(r);
      expect(e.name).toBe("BundleRejectedError");
      expect(e.path).toBe("p");
      expect(e.cause).toBeInstanceOf(Error);
      expect(e).not.toHaveProperty("exitCode");
    }
    for (const code of BUNDLE_ERROR_CODES) {
      const e = new BundleError(code, "m");
      expect(e.name).toBe("BundleError");
      expect(e.code).toBe(code);
      expect(e).not.toHaveProperty("exitCode");
    }
  });

  it("the deprecated BundleRejected is the same class as BundleRejectedError", () => {
    expect(BundleRejected).toBe(BundleRejectedError);
    expect(new BundleRejected("aborted", "m")).toBeInstanceOf(BundleRejectedError);
  });
});
