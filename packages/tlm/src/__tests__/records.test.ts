import { describe, expect, it } from "vitest";
import { parseJsonl } from "../records";
import { InvalidRecordError } from "../errors";

const ok = (o: object = {}) => JSON.stringify({ id: "m1", text: "t", kind: "fact", created_at: "2025-01-01T10:00:00Z", ...o });

describe("parseJsonl", () => {
  it("parses records and skips blank lines", () => {
    const r = parseJsonl(`${ok()}\n\n${ok({ id: "m2", entities: ["a"], source_ref: "x", created_at: "2025-02-01" })}\n`);
    expect(r.map((x) => x.id)).toEqual(["m1", "m2"]);
  });
  it.each([
    [`${ok()}\n${ok({ id: "m2", kind: "rumour" })}`, 2, "kind"],
    [`\n${ok({ created_at: "last tuesday" })}`, 2, "created_at"],
    [`${ok({ extra: 1 })}`, 1, "extra"],
    [`${ok()}\n{oops`, 2, "not valid JSON"],
    [`${ok()}\n${ok()}`, 2, "duplicate id"],
  ])("reports the bad line (%#)", (text, line, fragment) => {
    try {
      parseJsonl(text, "in.jsonl");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidRecordError);
      expect((e as InvalidRecordError).line).toBe(line);
      expect((e as InvalidRecordError).code).toBe("TLM_INVALID_RECORD");
      expect((e as Error).message).toContain(`in.jsonl:${line}`);
      expect((e as Error).message).toContain(fragment);
    }
  });
});
