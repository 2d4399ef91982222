import semver from "semver";
import { BundleRejectedError } from "./errors";
import type { Manifest } from "./manifest";
import { verifyManifest } from "./signing";

/** Options of {@link checkManifestPolicy}. */
export interface ManifestPolicy {
  /** Configured public keys (base64 raw 32 bytes); empty = signatures not required. */
  publicKeys: readonly string[];
  /** Accepted `schema_version` semver range, e.g. `^1.0.0`. */
  schemaRange: string;
  /** Our tenant fingerprint; a manifest naming another tenant is refused. */
  tenant?: string;
  /** The current time (injected). */
  now: Date;
}

/** Result of {@link checkManifestPolicy}. */
export type PolicyResult = { ok: true; keyid: string | null } | { ok: false; rejection: BundleRejectedError };

/**
 * True when `version` is a valid semver version inside `range`. An invalid
 * version or range is false (never throws). Pre-releases only match a range
 * that names them, as npm does.
 */
export function schemaInRange(version: string, range: string): boolean {
  try {
    if (semver.valid(version) === null || semver.validRange(range) === null) return false;
    return semver.satisfies(version, range);
  } catch {
    return false;
  }
}

/**
 * Applies the acceptance rules of docs/bundle-format.md to a parsed manifest, in this
 * order: signature (`unsigned`, `bad_signature`), `schema_out_of_range`,
 * `expired` (`expires_at` at or before `now`), `wrong_tenant` (the manifest
 * names a tenant and it is not ours). Rollback is the puller's check (it owns
 * `highest_bundle_id`). Never throws.
 */
export function checkManifestPolicy(manifest: Manifest, policy: ManifestPolicy): PolicyResult {
  const v = verifyManifest(manifest, policy.publicKeys);
  if (!v.ok) return v;
  if (!schemaInRange(manifest.schema_version, policy.schemaRange)) {
    return {
      ok: false,
      rejection: new BundleRejectedError(
        "schema_out_of_range",
        `schema_version ${manifest.schema_version} is outside ${JSON.stringify(policy.schemaRange)}`,
      ),
    };
  }
  if (manifest.expires_at !== undefined && Date.parse(manifest.expires_at) <= policy.now.getTime()) {
    return { ok: false, rejection: new BundleRejectedError("expired", `bundle expired at ${manifest.expires_at}`) };
  }
  if (manifest.tenant !== undefined && policy.tenant !== undefined && manifest.tenant !== policy.tenant) {
    return { ok: false, rejection: new BundleRejectedError("wrong_tenant", "bundle was published for another tenant") };
  }
  return { ok: true, keyid: v.keyid };
}
