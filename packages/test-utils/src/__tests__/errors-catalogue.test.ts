import { expect, it } from "vitest";
import { describeErrorCatalogue } from "../errors-catalogue";

const readme = new URL("./fixtures/errors-readme.md", import.meta.url);

// The helper registers its two tests here, plus the extra one through `more`.
describeErrorCatalogue({ name: "DEMO_ERROR_CODES", codes: ["DEMO_TWO", "DEMO_ONE"], readme, minCellLength: 3 }, (rows) => {
  it("hands the README rows to package-specific tests", () => {
    expect(rows().get("DEMO_ONE")).toEqual(["`DEMO_ONE`", "the first thing fails", "do the first fix"]);
    expect([...rows().keys()]).toEqual(["DEMO_ONE", "DEMO_TWO"]);
  });
});
