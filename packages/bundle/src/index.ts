export { REJECT_REASONS, BUNDLE_ERROR_CODES, BundleError, BundleRejectedError, BundleRejected } from "./errors";
export type { RejectReason, BundleErrorCode } from "./errors";
export { REJECT_FIXES } from "./reject-fixes";
export { checkEntryPath, normalizeEntryPath, MAX_PATH_DEPTH, MAX_SEGMENT_BYTES, MAX_PATH_BYTES } from "./path-rules";
export type { PathProblem, NormalizedEntryPath } from "./path-rules";
export {
  Manifest,
  ManifestFile,
  ManifestSignature,
  MANIFEST_FORMAT,
  BUNDLE_ID_RE,
  MAX_MANIFEST_FILES,
  MAX_MANIFEST_BYTES,
  MAX_MANIFEST_SIGNATURES,
  MAX_MANIFEST_STRING,
  parseManifest,
  parseManifestJson,
} from "./manifest";
export type { ParseManifestResult } from "./manifest";
export { canonicalJson, canonicalManifest } from "./canonical";
export {
  generateKeyPair,
  keyIdOf,
  isValidPublicKey,
  publicKeyFromPrivate,
  signManifest,
  verifyManifest,
} from "./signing";
export type { BundleKeyPair, VerifyResult } from "./signing";
export { checkManifestPolicy, schemaInRange } from "./policy";
export type { ManifestPolicy, PolicyResult } from "./policy";
export { pack, archiveFileName } from "./pack";
export type { PackOptions, PackResult } from "./pack";
export { safeExtract, DEFAULT_MAX_ENTRIES } from "./safe-extract";
export { MAX_TRAILING_ZERO_BYTES } from "./tar-framing";
export type { SafeExtractOptions, SafeExtractResult } from "./safe-extract";
// recall's one atomic write lives in @recall/safe-fs; re-exported under the same names
export { writeFileAtomic, fsyncDir } from "@recall/safe-fs";
export type { WriteFileAtomicOptions } from "@recall/safe-fs";
