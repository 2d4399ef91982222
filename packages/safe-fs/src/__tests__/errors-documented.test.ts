import { fileURLToPath } from "node:url";
import { readmeErrorRows } from "@recall/test-utils";
import { describe, expect, it } from "vitest";
import { SAFE_FS_ERROR_CODES, SafeFsError } from "../index";

const documentedRows = () => readmeErrorRows(fileURLToPath(new URL("../../README.md", import.meta.url)));

describe("error codes are documented", () => {
  const codes = Object.keys(SAFE_FS_ERROR_CODES);

  it("every code in SAFE_FS_ERROR_CODES has a row in the README's errors table, and every row is a real code", () => {
    expect(codes.length).toBeGreaterThan(0);
    expect([...documentedRows().keys()].sort()).toEqual([...codes].sort());
  });

  it("every row says when and what to do", () => {
    for (const [code, cells] of documentedRows()) {
      expect(cells.length, code).toBeGreaterThanOrEqual(3);
      for (const cell of cells) expect(cell.length, `${code}: ${cells.join(" | ")}`).toBeGreaterThan(2);
    }
  });

  it("SafeFsError carries its code, the path and a name", () => {
    const e = new SafeFsError("SAFE_FS_NOT_INSIDE", "refusing", "/x");
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: "SafeFsError", code: "SAFE_FS_NOT_INSIDE", path: "/x", message: "refusing" });
  });
});
