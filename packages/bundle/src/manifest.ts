import semver from "semver";
import * as z from "zod";
import { BundleRejectedError } from "./errors";
import { quotePath } from "./quote-path";
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

/** Most signatures one manifest may carry. */
export const MAX_MANIFEST_SIGNATURES = 16;

/**
 * Longest string anywhere in a manifest, in UTF-16 units, checked before any
 * schema rule runs (the longest legitimate one, `archive.path`, is 2048).
 */
export const MAX_MANIFEST_STRING = 4096;

// JSON nesting of a format-1 manifest is 3 (manifest → files → file); 8 leaves
// room for optional objects without letting `[[[[…` reach JSON.parse.
const MAX_JSON_DEPTH = 8;
// Values (commas + containers) a manifest at the files cap needs, with room.
const MAX_JSON_VALUES = MAX_MANIFEST_FILES * 8 + 4096;
// zod issues and files examined past the first failures add nothing for a reader.
const MAX_ISSUES = 20;
const MAX_BAD_FILES = 5;

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
    .refine((p) => checkEntryPath(p) === null, { message: "unsafe path (docs/bundle-format.md path rules)" }),
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

const ManifestFields = z.strictObject({
    format: z.literal(MANIFEST_FORMAT),
    bundle_id: z.string().regex(BUNDLE_ID_RE, "bundle id ^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"),
    schema_version: z.string().refine((v) => semver.valid(v) === v, { message: "a semver version" }),
    created_at: isoDateTime,
    expires_at: isoDateTime.optional(),
    tenant: z
      .string()
      .regex(/^[0-9A-Za-z._:-]{1,128}$/, "tenant: 1..128 chars of [0-9A-Za-z._:-]")
      .optional(),
    /** Which embedding model made the memory vectors inside the bundle (absent: no vectors). */
    embedder: z
      .strictObject({ id: z.string().regex(/^[\x21-\x7e]{1,128}$/, "embedder id: 1..128 printable ASCII"), dims: z.number().int().min(1).max(4096) })
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
    signatures: z.array(ManifestSignature).max(MAX_MANIFEST_SIGNATURES).optional(),
  });

/**
 * `manifest.json`, format 1 (docs/bundle-format.md). Unknown fields are
 * rejected and no field has a default, so a parsed manifest canonicalises to
 * the very bytes its publisher signed. Use {@link parseManifest} on untrusted
 * input: it bounds the input's shape before this schema runs.
 */
export const Manifest = ManifestFields.superRefine((m, ctx) => {
  let issues = 0;
  const add = (path: (string | number)[], message: string): void => {
    if (issues++ < MAX_ISSUES) ctx.addIssue({ code: "custom", path, message });
  };
  const seen = new Set<string>();
  m.files.forEach((f, i) => {
    if (seen.has(f.path)) add(["files", i, "path"], `duplicate path ${quotePath(f.path)}`);
    seen.add(f.path);
  });
  // A file may not also be a directory of another file ("a" and "a/b"). Only
  // safe paths (≤ 1024 bytes, ≤ 16 segments) get here, so this stays linear.
  m.files.forEach((f, i) => {
    if (checkEntryPath(f.path) !== null) return;
    for (const dir of ancestorsOf(f.path)) {
      if (seen.has(dir)) {
        add(["files", i, "path"], `${quotePath(dir)} is listed as a file and used as a directory`);
        break;
      }
    }
  });
  const keyids = new Set<string>();
  m.signatures?.forEach((s, i) => {
    if (keyids.has(s.keyid)) add(["signatures", i, "keyid"], "duplicate keyid");
    keyids.add(s.keyid);
  });
});
export type Manifest = z.infer<typeof Manifest>;

/** Result of {@link parseManifest}. */
export type ParseManifestResult = { ok: true; manifest: Manifest } | { ok: false; rejection: BundleRejectedError };

function badManifest(message: string, cause?: unknown): ParseManifestResult {
  return { ok: false, rejection: new BundleRejectedError("bad_manifest", `invalid manifest: ${message}`, { cause }) };
}

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: (string | number)[] = []): string {
  return issues
    .slice(0, MAX_ISSUES)
    .map((i) => {
      const path = [...prefix, ...i.path.map(String)];
      return `${path.length ? path.join(".") : "(manifest)"}: ${i.message.slice(0, 160)}`;
    })
    .join("; ");
}

/**
 * Bounds the shape of a decoded manifest before any schema rule runs, in time
 * linear in its size: known top-level fields only, array lengths at their
 * caps, every string at most {@link MAX_MANIFEST_STRING} units, nesting of
 * at most a few levels. Returns the first problem, or null.
 */
function boundShape(input: unknown): string | null {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return "(manifest): not a JSON object";
  const known = ManifestFields.shape as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(known, key)) return `(manifest): unknown field ${quotePath(key)}`;
  }
  const m = input as Record<string, unknown>;
  if (Array.isArray(m.files) && m.files.length > MAX_MANIFEST_FILES) {
    return `files: ${m.files.length} entries, more than the cap of ${MAX_MANIFEST_FILES}`;
  }
  if (Array.isArray(m.signatures) && m.signatures.length > MAX_MANIFEST_SIGNATURES) {
    return `signatures: ${m.signatures.length} entries, more than the cap of ${MAX_MANIFEST_SIGNATURES}`;
  }
  // Iterative walk: every value is visited once; depth and strings are bounded.
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: input, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof value === "string") {
      if (value.length > MAX_MANIFEST_STRING) {
        return `${path}: a string of ${value.length} characters, more than the cap of ${MAX_MANIFEST_STRING}`;
      }
    } else if (typeof value === "object" && value !== null) {
      if (depth >= 3) return `${path}: nested too deeply`;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}.${i}`, depth: depth + 1 });
      } else {
        const keys = Object.keys(value);
        if (keys.length > 16) return `${path}: an object of ${keys.length} fields`;
        for (const k of keys) {
          stack.push({ value: (value as Record<string, unknown>)[k], path: path ? `${path}.${k}` : k, depth: depth + 1 });
        }
      }
    }
  }
  return null;
}

/**
 * Validates an untrusted, already JSON-decoded manifest. Never throws: an
 * invalid one returns `bad_manifest` whose message names the first issues by
 * field (at most 20; the message stays short whatever the input). Cost is
 * linear in the input: its shape is bounded first (fields, array caps, string
 * lengths, nesting), then files are checked one by one, stopping after the
 * first few bad ones, before the whole schema runs.
 */
export function parseManifest(input: unknown): ParseManifestResult {
  try {
    const shape = boundShape(input);
    if (shape) return badManifest(shape);
    const files = (input as { files?: unknown }).files;
    if (Array.isArray(files)) {
      const bad: string[] = [];
      for (let i = 0; i < files.length && bad.length < MAX_BAD_FILES; i++) {
        const r = ManifestFile.safeParse(files[i]);
        if (!r.success) bad.push(describeIssues(r.error.issues, ["files", i]));
      }
      if (bad.length > 0) return badManifest(bad.join("; ") + (bad.length >= MAX_BAD_FILES ? "; …" : ""));
    }
    const r = Manifest.safeParse(input);
    if (r.success) return { ok: true, manifest: r.data };
    return badManifest(describeIssues(r.error.issues), r.error);
  } catch (cause) {
    // Only exotic inputs (getters, proxies) throw; a manifest from JSON never does.
    return badManifest("(manifest): cannot be read", cause);
  }
}

/**
 * Linear scan of JSON text for what JSON.parse would turn into an
 * unbounded amount of memory: nesting deeper than {@link MAX_JSON_DEPTH}, or
 * more values than a manifest at the files cap holds. Works on UTF-8 bytes or
 * a string (structural characters are ASCII in both).
 */
function scanJson(text: string | Uint8Array): string | null {
  const at = typeof text === "string" ? (i: number) => text.charCodeAt(i) : (i: number) => text[i] as number;
  const n = text.length;
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < n; i++) {
    const c = at(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return `(manifest): JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
      if (++values > MAX_JSON_VALUES) return "(manifest): too many JSON values";
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && ++values > MAX_JSON_VALUES) return "(manifest): too many JSON values";
  }
  return null;
}

/**
 * Decodes and validates `manifest.json` bytes (UTF-8 JSON, at most
 * {@link MAX_MANIFEST_BYTES}). Never throws: bad JSON is `bad_manifest`.
 */
export function parseManifestJson(text: string | Uint8Array): ParseManifestResult {
  const size = typeof text === "string" ? Buffer.byteLength(text) : text.byteLength;
  if (size > MAX_MANIFEST_BYTES) {
    return { ok: false, rejection: new BundleRejectedError("bad_manifest", `manifest larger than ${MAX_MANIFEST_BYTES} bytes`) };
  }
  const shape = scanJson(text);
  if (shape) return badManifest(shape);
  let value: unknown;
  try {
    value = JSON.parse(typeof text === "string" ? text : Buffer.from(text).toString("utf8"));
  } catch (cause) {
    return { ok: false, rejection: new BundleRejectedError("bad_manifest", "manifest is not valid JSON", { cause }) };
  }
  return parseManifest(value);
}
