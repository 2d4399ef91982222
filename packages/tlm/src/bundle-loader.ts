import { readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import { parseManifest, schemaInRange } from "@recall/bundle";
import type { HealthSubCode } from "@recall/protocol";
import { checkBundleDatabase } from "./bundle-db-check";
import { MemoryDatabase } from "./query-engine";
import { MEMORIES_DB } from "./schema";

/** The outcome of looking at `<bundle_root>/current`. */
export type LoadOutcome =
  | { kind: "none"; message: string }
  | { kind: "incompatible"; target: string; subCode: HealthSubCode; message: string; bundleId: string | null; schemaVersion: string | null }
  | { kind: "loaded"; target: string; bundleId: string; schemaVersion: string; expiresAt: string | null; db: MemoryDatabase };

/** Resolves `<root>/current` to its real path, or `null` when missing or dangling. */
export async function resolveCurrent(bundleRoot: string): Promise<string | null> {
  try {
    return await realpath(join(bundleRoot, "current"));
  } catch {
    return null;
  }
}

/**
 * Opens the bundle at `target` (a resolved `current`): reads and validates
 * `manifest.json`, checks its `schema_version` against `supportedSchema`,
 * checks `memories.db` defensively (raw header, then its schema against what
 * `tlm bundle build` writes, see `checkBundleDatabase`) and only then opens it
 * for serving. Never throws: every failure is an `incompatible` outcome with
 * its sub_code (docs/protocol.md); a hostile or damaged database is `corrupt`.
 */
export async function loadBundle(target: string, supportedSchema: string, opts: { integrityCheck?: boolean } = {}): Promise<LoadOutcome> {
  const fail = (subCode: HealthSubCode, message: string, bundleId: string | null = null, schemaVersion: string | null = null): LoadOutcome =>
    ({ kind: "incompatible", target, subCode, message, bundleId, schemaVersion });
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(target, "manifest.json"), "utf8"));
  } catch (e) {
    return fail("no_manifest", `manifest.json is missing or unreadable: ${(e as Error).message}`);
  }
  const parsed = parseManifest(raw);
  if (!parsed.ok) return fail("no_manifest", `manifest.json is invalid: ${parsed.rejection.message}`);
  const manifest = parsed.manifest;
  if (!schemaInRange(manifest.schema_version, supportedSchema)) {
    return fail("version_out_of_range", `bundle schema ${manifest.schema_version} is outside the supported range ${supportedSchema}`,
      manifest.bundle_id, manifest.schema_version);
  }
  const dbPath = join(target, MEMORIES_DB);
  const checked = checkBundleDatabase(dbPath);
  if (!checked.ok) return fail("corrupt", checked.message, manifest.bundle_id, manifest.schema_version);
  const opened = MemoryDatabase.open(dbPath, opts);
  if (!opened.ok) return fail("corrupt", opened.message, manifest.bundle_id, manifest.schema_version);
  return { kind: "loaded", target, bundleId: manifest.bundle_id, schemaVersion: manifest.schema_version,
    expiresAt: manifest.expires_at ?? null, db: opened.db };
}
