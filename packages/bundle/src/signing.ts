import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { canonicalManifest } from "./canonical";
import { BundleError, BundleRejectedError } from "./errors";
import type { Manifest, ManifestSignature } from "./manifest";

/** A fresh Ed25519 signing key pair, as {@link generateKeyPair} returns it. */
export interface BundleKeyPair {
  /** Raw 32-byte public key, base64 (what `memory.bundle_public_keys` holds). */
  publicKey: string;
  /** PKCS#8 PEM private key (keep it secret). */
  privateKeyPem: string;
  /** First 16 hex chars of sha256 of the raw public key. */
  keyid: string;
}

/** Result of {@link verifyManifest}. `keyid` is null when no key is configured. */
export type VerifyResult = { ok: true; keyid: string | null } | { ok: false; rejection: BundleRejectedError };

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Decodes a strict base64 string; null when it is not canonical base64. */
function decodeBase64(b64: string): Buffer | null {
  if (typeof b64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return null;
  const buf = Buffer.from(b64, "base64");
  return buf.toString("base64") === b64 ? buf : null;
}

/** Raw 32 bytes of a base64 public key, or null when it is not one. */
function rawPublicKey(publicKeyBase64: string): Buffer | null {
  const raw = decodeBase64(publicKeyBase64.trim());
  return raw && raw.length === 32 ? raw : null;
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

function keyIdOfRaw(raw: Buffer): string {
  return createHash("sha256").update(raw).digest("hex").slice(0, 16);
}

/** True when `publicKeyBase64` is a base64-encoded raw 32-byte Ed25519 key. */
export function isValidPublicKey(publicKeyBase64: string): boolean {
  const raw = rawPublicKey(publicKeyBase64);
  if (!raw) return false;
  try {
    publicKeyObject(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * The keyid of a public key: first 16 hex chars of sha256 of the raw 32-byte
 * key. Throws `BUNDLE_BAD_KEY` when the input is not base64 of 32 bytes.
 */
export function keyIdOf(publicKeyBase64: string): string {
  const raw = rawPublicKey(publicKeyBase64);
  if (!raw) throw new BundleError("BUNDLE_BAD_KEY", "public key is not base64 of 32 raw Ed25519 bytes");
  return keyIdOfRaw(raw);
}

/** Generates an Ed25519 key pair with node:crypto. */
export function generateKeyPair(): BundleKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = rawFromKeyObject(publicKey);
  return {
    publicKey: raw.toString("base64"),
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    keyid: keyIdOfRaw(raw),
  };
}

function rawFromKeyObject(key: KeyObject): Buffer {
  const der = key.export({ format: "der", type: "spki" });
  return Buffer.from(der.subarray(der.length - 32));
}

/**
 * The base64 raw public key matching a PKCS#8 PEM Ed25519 private key.
 * Throws `BUNDLE_BAD_KEY` (without any key material in the message) otherwise.
 */
export function publicKeyFromPrivate(privateKeyPem: string): string {
  return rawFromKeyObject(createPublicKey(loadPrivateKey(privateKeyPem))).toString("base64");
}

function loadPrivateKey(privateKeyPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: "pem" });
  } catch (cause) {
    throw new BundleError("BUNDLE_BAD_KEY", "private key is not a PEM PKCS#8 key", { cause: scrub(cause) });
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new BundleError("BUNDLE_BAD_KEY", `private key is ${key.asymmetricKeyType ?? "unknown"}, expected ed25519`);
  }
  return key;
}

// OpenSSL errors do not echo key bytes, but keep only the code to be sure.
function scrub(cause: unknown): Error {
  const code = (cause as { code?: unknown })?.code;
  return new Error(typeof code === "string" ? code : "invalid key");
}

/**
 * Returns a copy of `manifest` signed with `privateKeyPem` (Ed25519 over
 * {@link canonicalManifest}); a previous signature by the same key is
 * replaced, others are kept. Throws `BUNDLE_BAD_KEY` for an unusable key.
 */
export function signManifest(manifest: Manifest, privateKeyPem: string): Manifest {
  const key = loadPrivateKey(privateKeyPem);
  const keyid = keyIdOfRaw(rawFromKeyObject(createPublicKey(key)));
  const sig: ManifestSignature = {
    keyid,
    alg: "ed25519",
    sig: sign(null, canonicalManifest(manifest), key).toString("base64"),
  };
  const others = (manifest.signatures ?? []).filter((s) => s.keyid !== keyid);
  return { ...manifest, signatures: [...others, sig] };
}

/**
 * Checks the manifest's signatures against the configured public keys (base64
 * raw 32 bytes). With no key configured it accepts (`keyid: null`). Otherwise
 * it needs one valid Ed25519 signature by a configured key: none at all is
 * `unsigned`, only invalid or unknown-key signatures is `bad_signature`. A
 * malformed configured key never verifies anything (fail closed). Never throws.
 */
export function verifyManifest(manifest: Manifest, publicKeys: readonly string[]): VerifyResult {
  if (publicKeys.length === 0) return { ok: true, keyid: null };
  const sigs = manifest.signatures ?? [];
  if (sigs.length === 0) {
    return { ok: false, rejection: new BundleRejectedError("unsigned", "manifest is not signed and public keys are configured") };
  }
  const keys = new Map<string, KeyObject>();
  for (const pk of publicKeys) {
    const raw = rawPublicKey(pk);
    if (!raw) continue;
    try {
      keys.set(keyIdOfRaw(raw), publicKeyObject(raw));
    } catch {
      // not a usable Ed25519 point: it verifies nothing
    }
  }
  let data: Buffer;
  try {
    data = canonicalManifest(manifest);
  } catch (cause) {
    return { ok: false, rejection: new BundleRejectedError("bad_manifest", "manifest cannot be canonicalised", { cause }) };
  }
  for (const s of sigs) {
    const key = keys.get(s.keyid);
    if (!key || s.alg !== "ed25519") continue;
    const sig = decodeBase64(s.sig);
    if (!sig || sig.length !== 64) continue;
    try {
      if (verify(null, data, key, sig)) return { ok: true, keyid: s.keyid };
    } catch {
      // malformed signature: not valid
    }
  }
  return {
    ok: false,
    rejection: new BundleRejectedError("bad_signature", "no valid signature by a configured public key"),
  };
}
