import { describe, expect, it } from "vitest";
import { parseArgs } from "../args";
import { UsageError } from "../errors";
import { intentFromArgs } from "../query-intent";
import { COMMANDS } from "../registry";

const parse = (argv: string[]) => intentFromArgs(parseArgs(argv, COMMANDS.query!.spec));

describe("intentFromArgs", () => {
  it("maps flags to the wire fields", () => {
    expect(parse(["deploy", "--kind", "decision", "--kind", "fact,note", "--entity", "payments", "--since", "2026-01-01", "--until", "2026-02-01T00:00:00Z", "--limit", "5"])).toEqual({
      text: "deploy",
      kinds: ["decision", "fact", "note"],
      entities: ["payments"],
      since: "2026-01-01",
      until: "2026-02-01T00:00:00Z",
      limit: 5,
    });
    expect(parse(["x"])).toEqual({ text: "x" });
  });

  it("turns bad input into usage errors before any I/O", () => {
    for (const argv of [["x", "--kind", "facts"], ["x", "--since", "yesterday"], ["x", "--limit", "101"], ["   "], ["x", "--since", "2026-02-01", "--until", "2026-01-01"], ["x".repeat(2001)]]) {
      expect(() => parse(argv), argv.join(" ")).toThrow(UsageError);
    }
  });
});
