import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  BundleError,
  canonicalManifest,
  generateKeyPair,
  isValidPublicKey,
  keyIdOf,
  publicKeyFromPrivate,
  signManifest,
  verifyManifest,
  type Manifest,
} from "../index";

const manifest: Manifest = {
  format: 1,
  bundle_id: "20261126T080000Z",
  schema_version: "1.0.0",
  created_at: "2026-11-26T08:00:00Z",
  archive: { path: "bundle-20261126T080000Z.tar.gz", size: 1234, sha256: "a".repeat(64) },
  files: [{ path: "memories.db", size: 4096, sha256: "b".repeat(64) }],
};

const a = generateKeyPair();
const b = generateKeyPair();

describe("generateKeyPair / keyIdOf", () => {
  it("makes a raw 32-byte base64 public key, a PKCS#8 PEM private key and the matching keyid", () => {
    expect(Buffer.from(a.publicKey, "base64")).toHaveLength(32);
    expect(a.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(a.keyid).toBe(createHash("sha256").update(Buffer.from(a.publicKey, "base64")).digest("hex").slice(0, 16));
    expect(keyIdOf(a.publicKey)).toBe(a.keyid);
    expect(publicKeyFromPrivate(a.privateKeyPem)).toBe(a.publicKey);
    expect(a.keyid).not.toBe(b.keyid);
  });

  it("keyIdOf matches a known vector: 32 zero bytes", () => {
    const zero = Buffer.alloc(32).toString("base64");
    expect(keyIdOf(zero)).toBe("66687aadf862bd77");
  });

  it("rejects keys that are not base64 of 32 bytes", () => {
    expect(() => keyIdOf("short")).toThrow(BundleError);
    expect(() => keyIdOf(Buffer.alloc(33).toString("base64"))).toThrow(/32/);
    expect(isValidPublicKey(a.publicKey)).toBe(true);
    expect(isValidPublicKey("!!!")).toBe(false);
  });
});

describe("signManifest / verifyManifest", () => {
  it("verifies with the signing key", () => {
    const signed = signManifest(manifest, a.privateKeyPem);
    expect(signed.signatures).toHaveLength(1);
    expect(signed.signatures?.[0]?.keyid).toBe(a.keyid);
    expect(verifyManifest(signed, [a.publicKey])).toEqual({ ok: true, keyid: a.keyid });
    expect(manifest.signatures).toBeUndefined();
  });

  it("signs the RFC 8785 bytes of the manifest without signatures", async () => {
    const signed = signManifest(manifest, a.privateKeyPem);
    const { verify, createPublicKey } = await import("node:crypto");
    const key = createPublicKey({
      key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), Buffer.from(a.publicKey, "base64")]),
      format: "der",
      type: "spki",
    });
    const sig = Buffer.from(signed.signatures?.[0]?.sig ?? "", "base64");
    expect(verify(null, canonicalManifest(manifest), key, sig)).toBe(true);
  });

  it("rejects a signature by another key as bad_signature", () => {
    const signed = signManifest(manifest, b.privateKeyPem);
    const r = verifyManifest(signed, [a.publicKey]);
    expect(r.ok ? null : r.rejection.reason).toBe("bad_signature");
  });

  it("rejects a tampered manifest as bad_signature", () => {
    const signed = signManifest(manifest, a.privateKeyPem);
    const tampered = { ...signed, files: [{ ...signed.files[0]!, sha256: "c".repeat(64) }] };
    const r = verifyManifest(tampered, [a.publicKey]);
    expect(r.ok ? null : r.rejection.reason).toBe("bad_signature");
  });

  it("rejects a forged keyid (right id, signature by another key)", () => {
    const byB = signManifest(manifest, b.privateKeyPem);
    const forged = { ...byB, signatures: [{ ...byB.signatures![0]!, keyid: a.keyid }] };
    expect(verifyManifest(forged, [a.publicKey]).ok).toBe(false);
  });

  it("rejects an unsigned manifest when keys are configured, accepts it when none are", () => {
    const r = verifyManifest(manifest, [a.publicKey]);
    expect(r.ok ? null : r.rejection.reason).toBe("unsigned");
    expect(verifyManifest({ ...manifest, signatures: [] }, [a.publicKey]).ok).toBe(false);
    expect(verifyManifest(manifest, [])).toEqual({ ok: true, keyid: null });
  });

  it("accepts any one configured key among several, and several signatures", () => {
    const byB = signManifest(manifest, b.privateKeyPem);
    expect(verifyManifest(byB, [a.publicKey, b.publicKey])).toEqual({ ok: true, keyid: b.keyid });
    const both = signManifest(byB, a.privateKeyPem);
    expect(both.signatures?.map((s) => s.keyid)).toEqual([b.keyid, a.keyid]);
    expect(verifyManifest(both, [b.publicKey])).toEqual({ ok: true, keyid: b.keyid });
    expect(verifyManifest(both, [a.publicKey])).toEqual({ ok: true, keyid: a.keyid });
  });

  it("re-signing with the same key replaces its signature", () => {
    const once = signManifest(manifest, a.privateKeyPem);
    const twice = signManifest(once, a.privateKeyPem);
    expect(twice.signatures).toHaveLength(1);
    expect(twice).toEqual(once);
  });

  it("a malformed configured key verifies nothing (fails closed)", () => {
    const signed = signManifest(manifest, a.privateKeyPem);
    const r = verifyManifest(signed, ["not-a-key"]);
    expect(r.ok ? null : r.rejection.reason).toBe("bad_signature");
  });

  it("a malformed signature is bad_signature, not an exception", () => {
    const signed = signManifest(manifest, a.privateKeyPem);
    const broken = { ...signed, signatures: [{ ...signed.signatures![0]!, sig: "AAAA" }] };
    expect(verifyManifest(broken, [a.publicKey]).ok).toBe(false);
  });

  it("refuses a non-Ed25519 or garbage private key without echoing it", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    expect(() => signManifest(manifest, rsa)).toThrow(/ed25519/);
    const secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n";
    try {
      signManifest(manifest, secret);
      expect.unreachable();
    } catch (err) {
      expect((err as BundleError).code).toBe("BUNDLE_BAD_KEY");
      expect(String((err as Error).message)).not.toContain("c2VjcmV0");
      expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain("c2VjcmV0");
    }
  });
});
