import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../manifest";
import { startGate } from "../start-gate";
import { assertProperty } from "@recall/test-utils";

function manifestOf(sizes: readonly number[], archiveSize: number): Manifest {
  return {
    format: 1,
    bundle_id: "20261126T080000Z",
    schema_version: "1.0.0",
    created_at: "2026-11-26T08:00:00Z",
    archive: { path: "bundle-20261126T080000Z.tar.gz", size: archiveSize, sha256: "a".repeat(64) },
    files: sizes.map((size, i) => ({ path: `f${i}`, size, sha256: "b".repeat(64) })),
  };
}

const caps = fc.record({
  maxBytes: fc.nat({ max: 5000 }),
  maxUnpackedBytes: fc.nat({ max: 5000 }),
  maxEntries: fc.nat({ max: 12 }),
});

describe("startGate (the pure decision before the first archive byte)", () => {
  it("starts iff not aborted and every cap holds; otherwise names the first broken rule, in the documented order", async () => {
    await assertProperty(
      fc.property(
        fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 10 }),
        fc.nat({ max: 5000 }),
        caps,
        fc.boolean(),
        (sizes, archiveSize, c, aborted) => {
          const total = sizes.reduce((a, b) => a + b, 0);
          const d = startGate(manifestOf(sizes, archiveSize), c, aborted);
          const expected = aborted
            ? "aborted"
            : archiveSize > c.maxBytes
              ? "archive_too_large"
              : sizes.length > c.maxEntries
                ? "too_many_entries"
                : total > c.maxUnpackedBytes
                  ? "unpacked_too_large"
                  : null;
          if (expected === null) expect(d).toEqual({ start: true, declaredTotal: total });
          else {
            expect(d.start).toBe(false);
            if (!d.start) {
              expect(d.rejection.reason).toBe(expected);
              expect(d.rejection.code).toBe(`BUNDLE_${expected.toUpperCase()}`);
            }
          }
        },
      ),
      500,
    );
  });

  it("never starts on a manifest that fails the schema, whatever the caps (bad_manifest), unless already aborted", async () => {
    const breakIt = fc.constantFrom<(m: Record<string, unknown>) => void>(
      (m) => delete m.files,
      (m) => (m.files = []),
      (m) => (m.archive = { path: "../x", size: 1, sha256: "a".repeat(64) }),
      (m) => (m.files = [{ path: "/etc/passwd", size: 1, sha256: "b".repeat(64) }]),
      (m) => (m.extra = true),
      (m) => (m.format = 2),
    );
    await assertProperty(
      fc.property(breakIt, caps, fc.boolean(), (change, c, aborted) => {
        const m = manifestOf([1], 1) as unknown as Record<string, unknown>;
        change(m);
        const d = startGate(m as unknown as Manifest, { ...c, maxBytes: 1e9, maxUnpackedBytes: 1e9, maxEntries: 1e6 }, aborted);
        expect(d).toMatchObject({ start: false, rejection: { reason: aborted ? "aborted" : "bad_manifest" } });
      }),
      200,
    );
  });

  it("is pure: the same input gives the same decision and the manifest is not touched", () => {
    const m = manifestOf([3, 4], 10);
    const before = structuredClone(m);
    const c = { maxBytes: 10, maxUnpackedBytes: 7, maxEntries: 2 };
    expect(startGate(m, c, false)).toEqual(startGate(m, c, false));
    expect(m).toEqual(before);
  });
});
