import { describe, expect, it } from "vitest";
import { validManifest } from "../../test/helpers/manifests";
import { BUNDLE_ID_RE, BundleRejected, parseManifest, parseManifestJson, type Manifest } from "../index";

const valid: Manifest = validManifest;

function withChange(change: (m: Record<string, unknown>) => void): unknown {
  const m = structuredClone(valid) as unknown as Record<string, unknown>;
  change(m);
  return m;
}

function reasonOf(input: unknown): string | null {
  const r = parseManifest(input);
  return r.ok ? null : r.rejection.reason;
}

describe("parseManifest", () => {
  it("accepts the documented example and returns it unchanged", () => {
    const r = parseManifest(valid);
    expect(r).toEqual({ ok: true, manifest: valid });
  });

  it("accepts a minimal manifest (expires_at, tenant, signatures optional)", () => {
    const { expires_at: _e, tenant: _t, signatures: _s, ...minimal } = valid;
    expect(parseManifest(minimal).ok).toBe(true);
  });

  it.each([
    ["format 2", (m: Record<string, unknown>) => (m.format = 2)],
    ["format as string", (m: Record<string, unknown>) => (m.format = "1")],
    ["unknown field", (m: Record<string, unknown>) => (m.extra = true)],
    ["bundle_id '.'", (m: Record<string, unknown>) => (m.bundle_id = ".")],
    ["bundle_id '..'", (m: Record<string, unknown>) => (m.bundle_id = "..")],
    ["bundle_id with slash", (m: Record<string, unknown>) => (m.bundle_id = "a/b")],
    ["bundle_id starting with -", (m: Record<string, unknown>) => (m.bundle_id = "-a")],
    ["bundle_id of 65 chars", (m: Record<string, unknown>) => (m.bundle_id = "a".repeat(65))],
    ["schema_version not semver", (m: Record<string, unknown>) => (m.schema_version = "1.0")],
    ["schema_version with v", (m: Record<string, unknown>) => (m.schema_version = "v1.0.0")],
    ["created_at not a date", (m: Record<string, unknown>) => (m.created_at = "yesterday")],
    ["expires_at not a date", (m: Record<string, unknown>) => (m.expires_at = "2026-13-01T00:00:00Z")],
    ["tenant with spaces", (m: Record<string, unknown>) => (m.tenant = "a b")],
    ["archive.path traversal", (m: Record<string, unknown>) => ((m.archive as { path: string }).path = "../x.tgz")],
    ["archive.path absolute", (m: Record<string, unknown>) => ((m.archive as { path: string }).path = "/x.tgz")],
    ["archive.path protocol-relative", (m: Record<string, unknown>) => ((m.archive as { path: string }).path = "//evil.example/x.tgz")],
    ["archive.path percent-encoded dots", (m: Record<string, unknown>) => ((m.archive as { path: string }).path = "%2e%2e/x.tgz")],
    ["archive.path other scheme", (m: Record<string, unknown>) => ((m.archive as { path: string }).path = "file:///etc/passwd")],
    ["archive.path URL with credentials", (m: Record<string, unknown>) => ((m.archive as { path: string }).path = "https://u:p@cdn.example/x.tgz")],
    ["archive.size negative", (m: Record<string, unknown>) => ((m.archive as { size: number }).size = -1)],
    ["archive.size fractional", (m: Record<string, unknown>) => ((m.archive as { size: number }).size = 1.5)],
    ["archive.sha256 uppercase", (m: Record<string, unknown>) => ((m.archive as { sha256: string }).sha256 = "A".repeat(64))],
    ["no files", (m: Record<string, unknown>) => (m.files = [])],
    ["file path traversal", (m: Record<string, unknown>) => ((m.files as { path: string }[])[0]!.path = "../x")],
    ["file path absolute", (m: Record<string, unknown>) => ((m.files as { path: string }[])[0]!.path = "/x")],
    ["file path too deep", (m: Record<string, unknown>) => ((m.files as { path: string }[])[0]!.path = `${"a/".repeat(16)}f`)],
    ["duplicate file", (m: Record<string, unknown>) => ((m.files as { path: string }[])[1]!.path = "memories.db")],
    ["file used as a directory", (m: Record<string, unknown>) => ((m.files as { path: string }[])[1]!.path = "memories.db/x")],
    ["signature alg", (m: Record<string, unknown>) => ((m.signatures as { alg: string }[])[0]!.alg = "rsa")],
    ["signature keyid", (m: Record<string, unknown>) => ((m.signatures as { keyid: string }[])[0]!.keyid = "xyz")],
    ["signature not base64", (m: Record<string, unknown>) => ((m.signatures as { sig: string }[])[0]!.sig = "not base64!")],
    [
      "duplicate keyids",
      (m: Record<string, unknown>) => (m.signatures = [...(m.signatures as unknown[]), ...(m.signatures as unknown[])]),
    ],
  ])("rejects %s as bad_manifest", (_name, change) => {
    expect(reasonOf(withChange(change))).toBe("bad_manifest");
  });

  it("accepts an absolute https archive URL (CDN hosting)", () => {
    expect(reasonOf(withChange((m) => ((m.archive as { path: string }).path = "https://cdn.example.com/b/x.tar.gz")))).toBe(null);
  });

  it("accepts a nested relative archive path", () => {
    expect(reasonOf(withChange((m) => ((m.archive as { path: string }).path = "archives/bundle-1.tar.gz")))).toBe(null);
  });

  it("names the offending field in the message and never throws", () => {
    const r = parseManifest(withChange((m) => (m.bundle_id = "..")));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.rejection).toBeInstanceOf(BundleRejected);
    expect(r.rejection.message).toContain("bundle_id");
    for (const junk of [null, undefined, 42, "x", [], { format: 1 }]) expect(parseManifest(junk).ok).toBe(false);
  });
});

describe("parseManifestJson", () => {
  it("parses bytes and strings", () => {
    expect(parseManifestJson(JSON.stringify(valid)).ok).toBe(true);
    expect(parseManifestJson(Buffer.from(JSON.stringify(valid))).ok).toBe(true);
  });

  it("returns bad_manifest for invalid JSON", () => {
    const r = parseManifestJson("{not json");
    expect(r.ok ? null : r.rejection.reason).toBe("bad_manifest");
  });
});

describe("BUNDLE_ID_RE", () => {
  it("matches documented ids and sorts them in publication order", () => {
    const ids = ["20261126T080000Z", "20261127T080000Z", "20261201T000000Z"];
    for (const id of ids) expect(BUNDLE_ID_RE.test(id)).toBe(true);
    expect([...ids].reverse().sort()).toEqual(ids);
  });
});
