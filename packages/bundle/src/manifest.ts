import semver from "semver";
import { z } from "zod";
import { BundleRejected } from "./errors";
import { ancestorsOf, checkEntryPath } from "./path-rules";

/** Manifest format this release reads and writes. */
export const MANIFEST_FORMAT = 1 as const;

/**
 * A bundle id: 1..64 chars of `[0-9A-Za-z._-]`, starting alphanumeric (so it
 * is never `.` or `..`); it names the install directory.
 */
export const BUNDLE_ID_RE = /^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/;

/** Most files one manifest may list (the extractor's default entry cap). */
export const MAX_MANIFEST_FILES = 100_000;

/** Largest `manifest.json` accepted by {@link parseManifestJson}, in bytes. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const KEYID_HEX = /^[0-9a-f]{16}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// Relative archive paths are restricted to a URL- and filesystem-neutral
// alphabet: no `%` (WHATWG URL turns `%2e%2e` into `..`), `?`, `#` or `:`.
const ARCHIVE_REL_SEGMENT = /^[0-9A-Za-z_][0-9A-Za-z._-]*$/;

const isoDateTime = z.iso.datetime({ offset: true, local: false });

/** True for an `archive.path` that is safe to resolve against the manifest URL. */
function isSafeArchivePath(p: string): boolean {
  if (/^https?:\/\//i.test(p)) {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      return false;
    }
    return (u.protocol === "https:" || u.protocol === "http:") && u.username === "" && u.password === "";
  }
  if (checkEntryPath(p) !== null) return false;
  return p.split("/").every((s) => ARCHIVE_REL_SEGMENT.test(s));
}

/** One file of the bundle inventory (`files[]`). */
export const ManifestFile = z.strictObject({
  path: z
    .string()
    .refine((p) => checkEntryPath(p) === null, { message: "unsafe path (SPEC §3.3 path rules)" }),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(SHA256_HEX, "lowercase hex sha256"),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

/** One signature: Ed25519 over the canonical manifest without `signatures`. */
export const ManifestSignature = z.strictObject({
  keyid: z.string().regex(KEYID_HEX, "16 lowercase hex chars"),
  alg: z.literal("ed25519"),
  sig: z.string().min(1).max(200).regex(BASE64, "base64"),
});
export type ManifestSignature = z.infer<typeof ManifestSignature>;

/**
 * `manifest.json`, format 1 (SPEC §3.1). Unknown fields are rejected and no
 * field has a default, so a parsed manifest canonicalises to the very bytes
 * its publisher signed.
 */
export const Manifest = z
  .strictObject({
    format: z.literal(MANIFEST_FORMAT),
    bundle_id: z.string().regex(BUNDLE_ID_RE, "bundle id ^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"),
    schema_version: z.string().refine((v) => semver.valid(v) === v, { message: "a semver version" }),
    created_at: isoDateTime,
    expires_at: isoDateTime.optional(),
    tenant: z
      .string()
      .regex(/^[0-9A-Za-z._:-]{1,128}$/, "tenant: 1..128 chars of [0-9A-Za-z._:-]")
      .optional(),
    archive: z.strictObject({
      path: z
        .string()
        .min(1)
        .max(2048)
        .refine(isSafeArchivePath, { message: "a safe relative path or an http(s) URL" }),
      size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
      sha256: z.string().regex(SHA256_HEX, "lowercase hex sha256"),
    }),
    files: z.array(ManifestFile).min(1).max(MAX_MANIFEST_FILES),
    signatures: z.array(ManifestSignature).max(16).optional(),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.files.forEach((f, i) => {
      if (seen.has(f.path)) {
        ctx.addIssue({ code: "custom", path: ["files", i, "path"], message: `duplicate path ${JSON.stringify(f.path)}` });
      }
      seen.add(f.path);
    });
    // A file may not also be a directory of another file ("a" and "a/b").
    m.files.forEach((f, i) => {
      for (const dir of ancestorsOf(f.path)) {
        if (seen.has(dir)) {
          ctx.addIssue({
            code: "custom",
            path: ["files", i, "path"],
            message: `${JSON.stringify(dir)} is listed as a file and used as a directory`,
          });
          break;
        }
      }
    });
    const keyids = new Set<string>();
    m.signatures?.forEach((s, i) => {
      if (keyids.has(s.keyid)) {
        ctx.addIssue({ code: "custom", path: ["signatures", i, "keyid"], message: "duplicate keyid" });
      }
      keyids.add(s.keyid);
    });
  });
export type Manifest = z.infer<typeof Manifest>;

/** Result of {@link parseManifest}. */
export type ParseManifestResult = { ok: true; manifest: Manifest } | { ok: false; rejection: BundleRejected };

/**
 * Validates an untrusted, already JSON-decoded manifest. Never throws: an
 * invalid one returns `bad_manifest` whose message lists every issue by field.
 */
export function parseManifest(input: unknown): ParseManifestResult {
  const r = Manifest.safeParse(input);
  if (r.success) return { ok: true, manifest: r.data };
  const message = r.error.issues
    .slice(0, 20)
    .map((i) => `${i.path.length ? i.path.join(".") : "(manifest)"}: ${i.message}`)
    .join("; ");
  return { ok: false, rejection: new BundleRejected("bad_manifest", `invalid manifest: ${message}`, { cause: r.error }) };
}

/**
 * Decodes and validates `manifest.json` bytes (UTF-8 JSON, at most
 * {@link MAX_MANIFEST_BYTES}). Never throws: bad JSON is `bad_manifest`.
 */
export function parseManifestJson(text: string | Uint8Array): ParseManifestResult {
  const size = typeof text === "string" ? Buffer.byteLength(text) : text.byteLength;
  if (size > MAX_MANIFEST_BYTES) {
    return { ok: false, rejection: new BundleRejected("bad_manifest", `manifest larger than ${MAX_MANIFEST_BYTES} bytes`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof text === "string" ? text : Buffer.from(text).toString("utf8"));
  } catch (cause) {
    return { ok: false, rejection: new BundleRejected("bad_manifest", "manifest is not valid JSON", { cause }) };
  }
  return parseManifest(value);
}
