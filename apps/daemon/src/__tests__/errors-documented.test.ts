import { fileURLToPath } from "node:url";
import { readmeErrorRows } from "@recall/test-utils";
import { describe, expect, it } from "vitest";
import { DAEMON_ERROR_CODES, DaemonError } from "../index";
import { ConfigError } from "@recall/config";
import { DAEMON_EXIT_CODES, exitCodeOf } from "../exit-codes";

const documentedRows = () => readmeErrorRows(fileURLToPath(new URL("../../README.md", import.meta.url)));

describe("error codes are documented", () => {
  const codes = Object.keys(DAEMON_ERROR_CODES);

  it("every code in DAEMON_ERROR_CODES has a row in the README's errors table, and every row is a real code", () => {
    expect(codes.length).toBeGreaterThan(0);
    expect([...documentedRows().keys()].sort()).toEqual([...codes].sort());
  });

  it("every row says when and what to do", () => {
    for (const [code, cells] of documentedRows()) {
      expect(cells.length, code).toBeGreaterThanOrEqual(3);
      for (const cell of cells) expect(cell.length, `${code}: ${cells.join(" | ")}`).toBeGreaterThan(0);
    }
  });

  it("the README exit column is the status runDaemon maps each code to, and no error carries one", () => {
    const rows = documentedRows();
    for (const code of Object.keys(DAEMON_ERROR_CODES) as (keyof typeof DAEMON_ERROR_CODES)[]) {
      expect(rows.get(code)?.[1], code).toBe(String(DAEMON_EXIT_CODES[code]));
      const e = new DaemonError(code, "x");
      expect("exitCode" in e, code).toBe(false);
      expect(exitCodeOf(e), code).toBe(DAEMON_EXIT_CODES[code]);
    }
    expect(exitCodeOf(new ConfigError("CONFIG_INVALID", "bad"))).toBe(2);
    expect(exitCodeOf(new Error("plain"))).toBe(1);
  });
});
