import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditSink, Logger } from "..";
import { noopAudit, noopLogger } from "..";

afterEach(() => {
  vi.restoreAllMocks();
});

/** Spies on every way a careless sink could emit something: stdout, stderr, console. */
function outputSpies() {
  return [
    vi.spyOn(process.stdout, "write"),
    vi.spyOn(process.stderr, "write"),
    ...(["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m)),
  ];
}

describe("noopLogger", () => {
  it("drops everything: every level returns nothing, writes nothing and leaves its arguments alone", () => {
    const spies = outputSpies();
    const fields = { bundle_id: "b1", nested: { n: 1 } };
    const before = structuredClone(fields);
    for (const level of ["debug", "info", "warn", "error"] as const) {
      expect(noopLogger[level](fields, "a message")).toBeUndefined();
      expect(noopLogger[level](fields)).toBeUndefined();
    }
    expect(fields).toEqual(before);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it("is frozen, so nobody can turn the shared default into a real logger", () => {
    expect(Object.isFrozen(noopLogger)).toBe(true);
    expect(() => {
      (noopLogger as { info: Logger["info"] }).info = () => {
        throw new Error("replaced");
      };
    }).toThrow(TypeError);
  });
});

describe("noopAudit", () => {
  it("drops every event and is frozen", () => {
    const spies = outputSpies();
    const sink: AuditSink = noopAudit;
    expect(sink.log("bundle_installed", { bundle_id: "b1" })).toBeUndefined();
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect(Object.isFrozen(noopAudit)).toBe(true);
  });
});
