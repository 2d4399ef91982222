import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readmeErrorRows } from "./errors-table";

/** Options of {@link describeErrorCatalogue}. */
export interface ErrorCatalogueOptions {
  /** The catalogue's name in the test title, e.g. `"PULLER_ERROR_CODES"`. */
  name: string;
  /** Every code the package raises (the catalogue's keys or values). */
  codes: readonly string[];
  /** The package README: a path or a `file:` URL (`new URL("../../README.md", import.meta.url)`). */
  readme: string | URL;
  /**
   * The least number of characters every cell of a row holds (default 1: no
   * empty cell). Tables of prose only use 3; tables with an exit-status column
   * (`2`) keep the default.
   */
  minCellLength?: number;
}

/**
 * The "error codes are documented" suite every package has: a `describe`
 * with two tests —
 * 1. the README's `## Errors` table(s) list exactly `codes` (every code has a
 *    row, every row is a real code; the catalogue is not empty);
 * 2. every row has at least three cells (code, when, what to do), none
 *    shorter than `minCellLength`.
 *
 * `more`, when given, runs inside the same `describe` to add package-specific
 * tests; it gets the README rows (`code` → cells) through `rows()`.
 *
 * ```ts
 * describeErrorCatalogue({ name: "PULLER_ERROR_CODES", codes: Object.keys(PULLER_ERROR_CODES), readme: new URL("../../README.md", import.meta.url) });
 * ```
 */
export function describeErrorCatalogue(opts: ErrorCatalogueOptions, more?: (rows: () => Map<string, string[]>) => void): void {
  const readmePath = typeof opts.readme === "string" ? opts.readme : fileURLToPath(opts.readme);
  const rows = () => readmeErrorRows(readmePath);
  const minCell = opts.minCellLength ?? 1;
  describe("error codes are documented", () => {
    it(`every code in ${opts.name} has a row in the README's errors table, and every row is a real code`, () => {
      expect(opts.codes.length).toBeGreaterThan(0);
      expect([...rows().keys()].sort()).toEqual([...opts.codes].sort());
    });

    it("every row says when and what to do", () => {
      for (const [code, cells] of rows()) {
        expect(cells.length, code).toBeGreaterThanOrEqual(3);
        for (const cell of cells) expect(cell.length, `${code}: ${cells.join(" | ")}`).toBeGreaterThanOrEqual(minCell);
      }
    });

    more?.(rows);
  });
}
