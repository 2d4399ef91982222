import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describeErrorCatalogue } from "@recall/test-utils";
import { expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CLI_ERROR_CODES, EXIT } from "../errors";

describeErrorCatalogue({ name: "CLI_ERROR_CODES", codes: Object.keys(CLI_ERROR_CODES), readme: new URL("../../README.md", import.meta.url) }, (documentedRows) => {
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
