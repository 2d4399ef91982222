import { readFileSync } from "node:fs";

/**
 * The rows of the tables in a README's `## Errors` section, keyed by their
 * `code` cell (the column headed `code`). Throws on a missing section, a row
 * without a code, or a code documented twice, so the per-package
 * "every error code is documented" tests share one reading of the tables.
 */
export function readmeErrorRows(readmePath: string): Map<string, string[]> {
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf("\n## Errors\n");
  if (start === -1) throw new Error(`${readmePath} has no \`## Errors\` section`);
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
