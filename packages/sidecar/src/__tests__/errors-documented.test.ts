import { fileURLToPath } from "node:url";
import { readmeErrorRows } from "@recall/test-utils";
import { describe, expect, it } from "vitest";
import { BinaryMissingError, ErrBinaryMissing, SIDECAR_ERROR_CODES, SidecarError } from "../index";

const documentedRows = () => readmeErrorRows(fileURLToPath(new URL("../../README.md", import.meta.url)));

describe("error codes are documented", () => {
  const codes = Object.keys(SIDECAR_ERROR_CODES);

  it("every code in SIDECAR_ERROR_CODES has a row in the README's errors table, and every row is a real code", () => {
    expect(codes.length).toBeGreaterThan(0);
    expect([...documentedRows().keys()].sort()).toEqual([...codes].sort());
  });

  it("every row says when and what to do", () => {
    for (const [code, cells] of documentedRows()) {
      expect(cells.length, code).toBeGreaterThanOrEqual(3);
      for (const cell of cells) expect(cell.length, `${code}: ${cells.join(" | ")}`).toBeGreaterThan(2);
    }
  });

  it("the deprecated ErrBinaryMissing is BinaryMissingError itself, and no error carries an exit code", () => {
    expect(ErrBinaryMissing).toBe(BinaryMissingError);
    const e = new BinaryMissingError("none", { searched: ["/x/tlm"], cause: new Error("root") });
    expect(e).toBeInstanceOf(SidecarError);
    expect(e).toMatchObject({ name: "BinaryMissingError", code: "SIDECAR_BINARY_MISSING", reason: "binary_missing", searched: ["/x/tlm"] });
    expect((e.cause as Error).message).toBe("root");
    expect("exitCode" in e).toBe(false);
  });
});
