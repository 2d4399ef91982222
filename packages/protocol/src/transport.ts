import { createHash } from "node:crypto";

/**
 * Longest Unix socket path Linux accepts, in bytes (`sun_path` is 108 bytes
 * with the NUL). Every socket recall listens on or dials (the sidecar socket,
 * the daemon's control socket) must fit (docs/protocol.md).
 */
export const SOCKET_PATH_MAX_BYTES = 107;

/** Whether `path` fits in a Unix socket address (UTF-8 bytes, not characters). */
export function socketPathFits(path: string): boolean {
  return Buffer.byteLength(path) <= SOCKET_PATH_MAX_BYTES;
}

/**
 * The tenant fingerprint of an API key (docs/bundle-root.md, docs/SECURITY.md):
 * the first 16 hex chars of sha256("recall-tenant:" + key). It is what a bundle
 * manifest's `tenant` names, what the bundle root's `.tenant_fingerprint` file
 * holds and what redacted messages show instead of a key: safe to log, store
 * and compare; the key cannot be recovered from it.
 */
export function tenantFingerprint(apiKey: string): string {
  return createHash("sha256").update(`recall-tenant:${apiKey}`).digest("hex").slice(0, 16);
}
