import { performance } from "node:perf_hooks";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertProperty } from "@recall/test-utils";
import { validManifest } from "../../test/helpers/manifests";
import { canonicalManifest, parseManifest, parseManifestJson, type Manifest } from "../index";

// Seeded by FC_SEED, run count from FUZZ_RUNS (RECALL_SOAK=1 for the long run): see @recall/test-utils (fc.ts).

const valid: Manifest = validManifest;
const validText = JSON.stringify(valid, null, 2);

/** The parse contract: never throws, ok or `bad_manifest` with a short message, bounded time; ok round-trips. */
function holds(input: unknown, json: boolean): boolean {
  const t0 = performance.now();
  const r = json ? parseManifestJson(input as string | Uint8Array) : parseManifest(input);
  expect(performance.now() - t0).toBeLessThan(10_000);
  if (!r.ok) {
    expect(r.rejection.reason).toBe("bad_manifest");
    expect(r.rejection.message.length).toBeLessThan(4096);
    return true;
  }
  // Whatever is accepted canonicalises and survives a JSON round trip unchanged
  // (as JSON: a -0 size is accepted as the number zero and is written back as 0).
  expect(canonicalManifest(r.manifest).length).toBeGreaterThan(0);
  const asJson = JSON.parse(JSON.stringify(r.manifest)) as unknown;
  const again = parseManifest(asJson);
  expect(again).toEqual({ ok: true, manifest: asJson });
  if (again.ok) expect(canonicalManifest(again.manifest)).toEqual(canonicalManifest(r.manifest));
  return true;
}

const anyValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom("", "..", "./a", "a/./b", "1.0.0", "2026-11-26T08:00:00Z", "a".repeat(64), "https://x/y.tgz"),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

describe("parseManifest / parseManifestJson fuzz", () => {
  it("arbitrary JSON text and bytes", async () => {
    await assertProperty(
      fc.property(fc.oneof(fc.json({ maxDepth: 6 }), fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 })), (x) =>
        holds(x, true),
      ),
      300,
    );
  });

  it("byte changes, cuts and insertions in a valid manifest's text", async () => {
    const bytes = Buffer.from(validText);
    await assertProperty(
      fc.property(
        fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
        fc.nat({ max: 40 }),
        fc.option(fc.record({ at: fc.nat(), text: fc.string({ maxLength: 30 }) })),
        (muts, cut, insert) => {
          let b = Buffer.from(bytes);
          for (const m of muts) b[m.at % b.length] = m.byte;
          b = b.subarray(0, b.length - cut);
          if (insert) {
            const at = insert.at % (b.length + 1);
            b = Buffer.concat([b.subarray(0, at), Buffer.from(insert.text), b.subarray(at)]);
          }
          return holds(b, true);
        },
      ),
      300,
    );
  });

  it("a valid manifest with any field replaced, removed or added", async () => {
    const fields = ["format", "bundle_id", "schema_version", "created_at", "expires_at", "tenant", "archive", "files", "signatures", "extra"];
    const nested = ["archive.path", "archive.size", "archive.sha256", "files.0.path", "files.0.size", "files.1.sha256", "signatures.0.sig"];
    await assertProperty(
      fc.property(
        fc.array(fc.record({ field: fc.constantFrom(...fields, ...nested), value: fc.option(anyValue) }), { minLength: 1, maxLength: 4 }),
        (changes) => {
          const m = structuredClone(valid) as unknown as Record<string, unknown>;
          for (const { field, value } of changes) {
            const path = field.split(".");
            let target: unknown = m;
            for (const p of path.slice(0, -1)) {
              target = typeof target === "object" && target !== null ? (target as Record<string, unknown>)[p] : undefined;
            }
            if (typeof target !== "object" || target === null) continue;
            const last = path.at(-1) as string;
            if (value === null) delete (target as Record<string, unknown>)[last];
            else (target as Record<string, unknown>)[last] = value;
          }
          return holds(m, false);
        },
      ),
      300,
    );
  });
});
