import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CLI_ERROR_CODES, EXIT } from "../errors";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");

/** The rows of the tables in the README's `## Errors` section, keyed by their `code` cell. */
function documentedRows(): Map<string, string[]> {
  const start = readme.indexOf("\n## Errors\n");
  if (start === -1) throw new Error("README has no `## Errors` section");
  const rest = readme.slice(start + 1);
  const end = rest.indexOf("\n## ", 1);
  const lines = (end === -1 ? rest : rest.slice(0, end)).split("\n");
  const rows = new Map<string, string[]>();
  let codeColumn = -1;
  for (const line of lines) {
    if (!line.startsWith("|")) {
      codeColumn = -1;
      continue;
    }
    const cells = line
      .slice(1, line.endsWith("|") ? -1 : undefined)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (codeColumn === -1) {
      codeColumn = cells.findIndex((c) => c.replaceAll("`", "") === "code");
      if (codeColumn === -1) codeColumn = -2; // a table without a code column
      continue;
    }
    if (codeColumn < 0 || /^-+$/.test(cells[0] ?? "")) continue;
    const code = /^`([^`]+)`$/.exec(cells[codeColumn] ?? "")?.[1];
    if (code === undefined) throw new Error(`errors table row without a code: ${line}`);
    if (rows.has(code)) throw new Error(`code documented twice: ${code}`);
    rows.set(code, cells);
  }
  return rows;
}

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
