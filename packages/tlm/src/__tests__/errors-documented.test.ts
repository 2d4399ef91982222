import { fileURLToPath } from "node:url";
import { readmeErrorRows } from "@recall/test-utils";
import { describe, expect, it } from "vitest";
import { TLM_ERROR_CODES, TlmError, SocketInUseError } from "../index";
import { TLM_EXIT_CODES, exitCodeOf } from "../cli-exit";
import { UsageError } from "../errors";

const documentedRows = () => readmeErrorRows(fileURLToPath(new URL("../../README.md", import.meta.url)));

describe("error codes are documented", () => {
  const codes = Object.keys(TLM_ERROR_CODES);

  it("every code in TLM_ERROR_CODES has a row in the README's errors table, and every row is a real code", () => {
    expect(codes.length).toBeGreaterThan(0);
    expect([...documentedRows().keys()].sort()).toEqual([...codes].sort());
  });

  it("every row says when and what to do", () => {
    for (const [code, cells] of documentedRows()) {
      expect(cells.length, code).toBeGreaterThanOrEqual(3);
      for (const cell of cells) expect(cell.length, `${code}: ${cells.join(" | ")}`).toBeGreaterThan(0);
    }
  });

  it("the README exit column is the exit status the CLI maps each code to, and no error carries one", () => {
    const rows = documentedRows();
    for (const code of Object.keys(TLM_ERROR_CODES) as (keyof typeof TLM_ERROR_CODES)[]) {
      const exit = rows.get(code)?.[2];
      if (exit === "—") expect(code).toBe("TLM_BODY_TOO_LARGE");
      else expect(exit, code).toBe(String(TLM_EXIT_CODES[code]));
    }
    expect(exitCodeOf(new SocketInUseError("/s"))).toBe(3);
    expect(exitCodeOf(new UsageError("bad"))).toBe(2);
    expect(exitCodeOf(new Error("plain"))).toBe(1);
    expect("exitCode" in new TlmError("TLM_UNSAFE_DIR", "x")).toBe(false);
  });
});
