import { describe, expect, it } from "vitest";
import {
  canonicalManifest,
  generateKeyPair,
  parseManifestJson,
  signManifest,
  verifyManifest,
  type Manifest,
} from "../../src/index";
import { growth, measure } from "../helpers/cost";
import { MANIFEST_SHAPES, VALID_MANIFEST_SHAPES } from "../../bench/shapes.mjs";

const KiB = 1024;
// The failure mode this guards against is minutes or an out-of-memory crash,
// not milliseconds: the bounds are wide on purpose (2 noisy cores, shared).
const MAX_MS = 15_000;
const MAX_PEAK_GROWTH_MIB = 400;
const MAX_RATIO = 32; // 8× the input: linear → ~8, quadratic → 64


describe("parseManifestJson cost on worst shapes (linear time, bounded memory)", () => {
  for (const [name, make] of Object.entries(MANIFEST_SHAPES)) {
    it(`${name}: 8× the bytes costs < ${MAX_RATIO}× the time, never throws`, async () => {
      const texts = new Map<number, string>();
      const run = (n: number): void => {
        let text = texts.get(n);
        if (text === undefined) texts.set(n, (text = make(n)));
        const r = parseManifestJson(text);
        expect(r.ok, r.ok ? "" : r.rejection.message.slice(0, 300)).toBe(VALID_MANIFEST_SHAPES.has(name));
        if (!r.ok) {
          expect(r.rejection.reason).toBe("bad_manifest");
          // the message is bounded whatever the input: no issue flood, no echo of a 4 MiB path
          expect(r.rejection.message.length).toBeLessThan(4 * KiB);
        }
      };
      const g = await growth(run, 512 * KiB);
      expect(g.large.ms, `${name}: ${g.large.ms.toFixed(0)} ms at 4 MiB`).toBeLessThan(MAX_MS);
      expect(g.ratio, `${name}: ${g.small.ms.toFixed(1)} ms → ${g.large.ms.toFixed(1)} ms`).toBeLessThan(MAX_RATIO);
      expect(g.large.peakGrowthMiB).toBeLessThan(MAX_PEAK_GROWTH_MIB);
    });
  }

  it("the issue's case: one 400 KB path of 200 000 segments is refused at once", async () => {
    const text = MANIFEST_SHAPES["one deep path a/a/a/…"]!(400 * KiB);
    const c = await measure(() => {
      const r = parseManifestJson(text);
      expect(r.ok ? null : r.rejection.reason).toBe("bad_manifest");
    });
    expect(c.ms).toBeLessThan(MAX_MS);
    expect(c.peakGrowthMiB).toBeLessThan(MAX_PEAK_GROWTH_MIB);
  });
});

describe("canonicalisation and signature verification cost", () => {
  const keys = Array.from({ length: 16 }, () => generateKeyPair());

  /** A valid manifest of about `n` bytes, signed by all 16 keys, each signature then broken. */
  function worst(n: number): Manifest {
    const count = Math.max(1, Math.floor(n / 120));
    const files = Array.from({ length: count }, (_, i) => ({
      path: `${"d/".repeat(15)}f${i}`,
      size: i,
      sha256: "a".repeat(64),
    }));
    let m: Manifest = {
      format: 1,
      bundle_id: "b1",
      schema_version: "1.0.0",
      created_at: "2026-11-26T08:00:00Z",
      archive: { path: "bundle-b1.tar.gz", size: 1, sha256: "a".repeat(64) },
      files,
    };
    for (const k of keys) m = signManifest(m, k.privateKeyPem);
    // Every signature fails, so every configured key's signature is checked.
    return { ...m, created_at: "2026-11-26T08:00:01Z" };
  }

  it("verifying 16 signatures over an 8× larger manifest costs < 32× the time", async () => {
    const manifests = new Map<number, Manifest>();
    const publicKeys = keys.map((k) => k.publicKey);
    const g = await growth((n) => {
      let m = manifests.get(n);
      if (!m) manifests.set(n, (m = worst(n)));
      const v = verifyManifest(m, publicKeys);
      expect(v.ok ? null : v.rejection.reason).toBe("bad_signature");
    }, 256 * KiB);
    expect(g.large.ms).toBeLessThan(MAX_MS);
    expect(g.ratio, `${g.small.ms.toFixed(1)} ms → ${g.large.ms.toFixed(1)} ms`).toBeLessThan(MAX_RATIO);
    expect(g.large.peakGrowthMiB).toBeLessThan(MAX_PEAK_GROWTH_MIB);
  });

  it("canonical JSON of an 8× larger manifest costs < 32× the time", async () => {
    const manifests = new Map<number, Manifest>();
    const g = await growth((n) => {
      let m = manifests.get(n);
      if (!m) manifests.set(n, (m = worst(n)));
      expect(canonicalManifest(m).length).toBeGreaterThan(n / 2);
    }, 256 * KiB);
    expect(g.large.ms).toBeLessThan(MAX_MS);
    expect(g.ratio).toBeLessThan(MAX_RATIO);
  });
});
