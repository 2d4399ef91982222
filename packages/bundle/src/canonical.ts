import canonicalize from "canonicalize";
import type { Manifest } from "./manifest";

/**
 * RFC 8785 (JCS) canonical JSON of `value`, as UTF-8 bytes. Throws a
 * TypeError for values JSON cannot represent (undefined at the root, NaN).
 */
export function canonicalJson(value: unknown): Buffer {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("value has no JSON representation");
  return Buffer.from(text, "utf8");
}

/**
 * The bytes a bundle signature covers: RFC 8785 canonical JSON of the manifest
 * without its `signatures` member.
 */
export function canonicalManifest(manifest: Manifest): Buffer {
  const { signatures: _signatures, ...unsigned } = manifest;
  return canonicalJson(unsigned);
}
