import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closest, editDistance, intOption, parseArgs, wantsHelp, type CommandSpec } from "../args";
import { UsageError } from "../errors";

const spec: CommandSpec = {
  name: "query",
  summary: "search",
  positionals: [{ name: "TEXT", required: true, description: "text" }],
  options: {
    kind: { type: "string", multiple: true, placeholder: "K", description: "kind" },
    limit: { type: "string", placeholder: "N", description: "limit" },
    spawn: { type: "boolean", description: "spawn" },
  },
  examples: [],
};

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error("expected a UsageError");
}

describe("parseArgs", () => {
  it("reads positionals, repeated options, --name=value and booleans", () => {
    const r = parseArgs(["hello world", "--kind", "fact", "--kind=note", "--limit", "3", "--spawn", "--json"], spec);
    expect(r.positionals).toEqual(["hello world"]);
    expect(r.values.kind).toEqual(["fact", "note"]);
    expect(r.values.limit).toBe("3");
    expect(r.values.spawn).toBe(true);
    expect(r.values.json).toBe(true);
  });

  it("treats everything after -- as positional", () => {
    expect(parseArgs(["--", "--limit"], spec).positionals).toEqual(["--limit"]);
  });

  it("suggests the closest option for a typo", () => {
    const e = usage(() => parseArgs(["x", "--limt", "3"], spec));
    expect(e.message).toBe("unknown option --limt");
    expect(e.hint).toContain("--limit");
    expect(e.exitCode).toBe(2);
  });

  it("rejects a missing value, a value on a boolean, a missing or extra positional, a repeated single option", () => {
    expect(usage(() => parseArgs(["x", "--limit"], spec)).message).toContain("needs a value");
    expect(usage(() => parseArgs(["x", "--limit", "--spawn"], spec)).message).toContain("needs a value");
    expect(usage(() => parseArgs(["x", "--spawn=yes"], spec)).message).toContain("takes no value");
    expect(usage(() => parseArgs([], spec)).message).toBe("missing TEXT");
    expect(usage(() => parseArgs(["a", "b"], spec)).message).toBe('unexpected argument "b"');
    expect(usage(() => parseArgs(["a", "--limit", "1", "--limit", "2"], spec)).message).toContain("given twice");
  });

  it("keeps any positional text intact (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => !s.startsWith("-")), (text) => {
        expect(parseArgs([text], spec).positionals).toEqual([text]);
        expect(parseArgs(["--", text], spec).positionals).toEqual([text]);
      }),
    );
  });

  it("never throws anything but UsageError on arbitrary argv (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom("--kind", "--limit", "--spawn", "--", "-h", "--x=1"))), (argv) => {
        try {
          parseArgs(argv, spec);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
        }
      }),
    );
  });
});

describe("helpers", () => {
  it("detects --help before --", () => {
    expect(wantsHelp(["x", "-h"])).toBe(true);
    expect(wantsHelp(["--", "--help"])).toBe(false);
  });

  it("counts a transposition as one edit", () => {
    expect(editDistance("qeury", "query")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(closest("stauts", ["status", "query"])).toBe("status");
    expect(closest("zzzzzz", ["status", "query"])).toBeUndefined();
  });

  it("intOption checks range and form", () => {
    expect(intOption({ limit: "5" }, "limit", 1, 100)).toBe(5);
    expect(intOption({}, "limit", 1, 100)).toBeUndefined();
    expect(usage(() => intOption({ limit: "0" }, "limit", 1, 100)).message).toContain("from 1 to 100");
    expect(usage(() => intOption({ limit: "3.5" }, "limit", 1, 100)).message).toContain("integer");
  });
});

describe("hoistGlobals", () => {
  it("moves leading global options after the command words, before --", async () => {
    const { hoistGlobals } = await import("../main");
    expect(hoistGlobals(["--json", "status"])).toEqual(["status", "--json"]);
    expect(hoistGlobals(["--config", "c.yaml", "--no-color", "bundle", "serve", "d", "--port", "0"])).toEqual(["bundle", "serve", "d", "--port", "0", "--config", "c.yaml", "--no-color"]);
    expect(hoistGlobals(["--json", "query", "--", "--x"])).toEqual(["query", "--json", "--", "--x"]);
    expect(hoistGlobals(["query", "x"])).toEqual(["query", "x"]);
  });
});
