import { tenantFingerprint } from "@recall/protocol";
import type { RecallConfig } from "./config-types";

/** Shown instead of a secret value in messages. */
export const REDACTED = "<redacted>";

/**
 * The tenant fingerprint of an API key (docs/bundle-root.md): defined once by
 * `@recall/protocol` (bundle manifests, the bundle root and redaction must agree), re-exported here.
 */
export { tenantFingerprint };

/** Replaces a URL's password (and user name) with `<redacted>`; other text is returned as is. */
export function redactUrl(text: string): string {
  if (!text.includes("@")) return text;
  try {
    const u = new URL(text);
    if (!u.username && !u.password) return text;
    return text.replace(/\/\/[^/@]*@/, `//${REDACTED}@`);
  } catch {
    return text;
  }
}

/**
 * A printable copy of a config (for `recall config`, `/status`, logs): every
 * API key becomes `fp:<tenant fingerprint>` (or "" when empty) and URL
 * credentials in endpoints become `<redacted>`. The input is not modified.
 */
export function redact(config: RecallConfig): {
  configFile: string | null;
  memory: Record<string, unknown>;
  cloud: Record<string, unknown>;
} {
  const key = (k: string) => (k === "" ? "" : `fp:${tenantFingerprint(k)}`);
  return {
    configFile: config.configFile,
    memory: {
      ...config.memory,
      bundle_public_keys: [...config.memory.bundle_public_keys],
      endpoint: redactUrl(config.memory.endpoint),
      api_key: key(config.memory.api_key),
    },
    cloud: { endpoint: redactUrl(config.cloud.endpoint), api_key: key(config.cloud.api_key) },
  };
}
