import { describe, expect, it } from "vitest";
import { checkManifestPolicy, generateKeyPair, schemaInRange, signManifest, type Manifest } from "../index";

const key = generateKeyPair();
const now = new Date("2026-11-26T09:00:00Z");
const base: Manifest = {
  format: 1,
  bundle_id: "20261126T080000Z",
  schema_version: "1.2.0",
  created_at: "2026-11-26T08:00:00Z",
  expires_at: "2026-12-26T08:00:00Z",
  tenant: "9f2c1a7b3d4e5f60",
  archive: { path: "bundle-20261126T080000Z.tar.gz", size: 1, sha256: "a".repeat(64) },
  files: [{ path: "memories.db", size: 1, sha256: "b".repeat(64) }],
};
const policy = { publicKeys: [key.publicKey], schemaRange: "^1.0.0", tenant: "9f2c1a7b3d4e5f60", now };

function reason(m: Manifest, p: Partial<typeof policy> = {}): string | null {
  const r = checkManifestPolicy(m, { ...policy, ...p });
  return r.ok ? null : r.rejection.reason;
}

describe("checkManifestPolicy", () => {
  it("accepts a signed, in-range, unexpired manifest of our tenant", () => {
    expect(checkManifestPolicy(signManifest(base, key.privateKeyPem), policy)).toEqual({ ok: true, keyid: key.keyid });
  });

  it("checks the signature first", () => {
    expect(reason({ ...base, schema_version: "2.0.0" })).toBe("unsigned");
  });

  it("rejects an expired manifest (expires_at at or before now)", () => {
    expect(reason(signManifest({ ...base, expires_at: "2026-11-26T08:59:59Z" }, key.privateKeyPem))).toBe("expired");
    expect(reason(signManifest({ ...base, expires_at: "2026-11-26T09:00:00Z" }, key.privateKeyPem))).toBe("expired");
    const { expires_at: _e, ...noExpiry } = base;
    expect(reason(signManifest(noExpiry, key.privateKeyPem))).toBe(null);
  });

  it("rejects another tenant; a manifest without tenant or a policy without one passes", () => {
    expect(reason(signManifest({ ...base, tenant: "0000000000000000" }, key.privateKeyPem))).toBe("wrong_tenant");
    const { tenant: _t, ...noTenant } = base;
    expect(reason(signManifest(noTenant, key.privateKeyPem))).toBe(null);
    expect(reason(signManifest(base, key.privateKeyPem), { tenant: undefined })).toBe(null);
  });

  it("rejects a schema outside the range", () => {
    expect(reason(signManifest({ ...base, schema_version: "2.0.0" }, key.privateKeyPem))).toBe("schema_out_of_range");
    expect(reason(signManifest({ ...base, schema_version: "0.9.0" }, key.privateKeyPem))).toBe("schema_out_of_range");
    expect(reason(signManifest(base, key.privateKeyPem), { schemaRange: "not a range" })).toBe("schema_out_of_range");
  });

  it("without configured keys, an unsigned manifest passes the other rules", () => {
    expect(reason(base, { publicKeys: [] })).toBe(null);
  });
});

describe("schemaInRange", () => {
  it.each([
    ["1.0.0", "^1.0.0", true],
    ["1.9.3", "^1.0.0", true],
    ["2.0.0", "^1.0.0", false],
    ["1.0.0-beta.1", "^1.0.0", false],
    ["1.2.0", ">=1.1 <1.3", true],
    ["1.0", "^1.0.0", false],
    ["1.0.0", "garbage(", false],
  ])("%s in %s → %s", (v, r, expected) => {
    expect(schemaInRange(v, r)).toBe(expected);
  });
});
