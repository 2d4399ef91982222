import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readmeErrorRows } from "@recall/test-utils";
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CLI_ERROR_CODES, EXIT } from "../errors";

const documentedRows = () => readmeErrorRows(fileURLToPath(new URL("../../README.md", import.meta.url)));

describe("error codes are documented", () => {
  const codes = Object.keys(CLI_ERROR_CODES);

  it("every code in CLI_ERROR_CODES has a row in the README's errors table, and every row is a real code", () => {
    expect(codes.length).toBeGreaterThan(0);
    expect([...documentedRows().keys()].sort()).toEqual([...codes].sort());
  });

  it("every row says when and what to do", () => {
    for (const [code, cells] of documentedRows()) {
      expect(cells.length, code).toBeGreaterThanOrEqual(3);
      for (const cell of cells) expect(cell.length, `${code}: ${cells.join(" | ")}`).toBeGreaterThan(0);
    }
  });

  it("the README exit column is the catalogue's, and every CliError the sources raise uses a catalogued code with that exit", () => {
    const rows = documentedRows();
    for (const [code, exit] of Object.entries(CLI_ERROR_CODES)) expect(rows.get(code)?.[1], code).toBe(String(exit));
    const srcDir = fileURLToPath(new URL("..", import.meta.url));
    const files = (readdirSync(srcDir, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts") && !f.includes("__tests__"));
    const seen = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(srcDir, f), "utf8");
      for (const m of text.matchAll(/new CliError\(\s*"([A-Z_]+)"/g)) {
        const code = m[1] as string;
        seen.add(code);
        expect(Object.keys(CLI_ERROR_CODES), `${f}: ${code}`).toContain(code);
        const call = text.slice(m.index, text.indexOf(");", m.index));
        const named = /exitCode: EXIT\.(\w+)/.exec(call)?.[1] as keyof typeof EXIT | undefined;
        expect(named === undefined ? EXIT.error : EXIT[named], `${f}: ${code}`).toBe(CLI_ERROR_CODES[code as keyof typeof CLI_ERROR_CODES]);
      }
    }
    seen.add("USAGE"); // raised through UsageError
    expect([...seen].sort()).toEqual(Object.keys(CLI_ERROR_CODES).sort());
  });
});
