import type { Manifest } from "../../src/index";

/** A valid manifest with every optional field, the shape of docs/bundle-format.md's example. */
export const validManifest: Manifest = {
  format: 1,
  bundle_id: "20261126T080000Z",
  schema_version: "1.0.0",
  created_at: "2026-11-26T08:00:00Z",
  expires_at: "2026-12-26T08:00:00Z",
  tenant: "9f2c1a7b3d4e5f60",
  archive: { path: "bundle-20261126T080000Z.tar.gz", size: 1234, sha256: "a".repeat(64) },
  files: [
    { path: "memories.db", size: 4096, sha256: "b".repeat(64) },
    { path: "extra/notes.txt", size: 0, sha256: "c".repeat(64) },
  ],
  signatures: [{ keyid: "0123456789abcdef", alg: "ed25519", sig: "c2lnbmF0dXJl" }],
};
