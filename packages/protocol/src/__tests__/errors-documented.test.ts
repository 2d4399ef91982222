import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../index";

/** The codes in the first column of the README's `## Errors` tables. */
function documentedCodes(): string[] {
  const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
  const start = readme.indexOf("\n## Errors\n");
  expect(start, "README has a `## Errors` section").toBeGreaterThanOrEqual(0);
  const rest = readme.slice(start + 1);
  const end = rest.indexOf("\n## ", 1);
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
}

describe("error codes are documented", () => {
  it("every code in ERROR_CODES has a row in the README's errors table, and every row is a real code", () => {
    const documented = documentedCodes();
    expect(new Set(documented).size, "no code is documented twice").toBe(documented.length);
    expect([...documented].sort()).toEqual([...Object.values(ERROR_CODES)].sort());
  });

  it("every row says when and what to do", () => {
    const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
    for (const code of Object.values(ERROR_CODES)) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${code}\` |`));
      const cells = (row ?? "").split(" | ");
      expect(cells.length, code).toBe(3);
      for (const cell of cells) expect(cell.replace(/\|/g, "").trim().length, code).toBeGreaterThan(3);
    }
  });
});
