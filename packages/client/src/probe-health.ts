import type { Health } from "@recall/protocol";
import { SidecarClient } from "./sidecar-client";
import type { ClientResult } from "./types";

/**
 * One `GET /health` on a fresh connection, closed afterwards (no pool kept):
 * for attach decisions and `recall status`. Resolves within `timeoutMs`
 * with a {@link ClientResult}; throws only for a missing `socketPath` or a
 * non-positive `timeoutMs`.
 */
export async function probeHealth(socketPath: string, timeoutMs: number, opts: { signal?: AbortSignal } = {}): Promise<ClientResult<Health>> {
  const client = new SidecarClient({ socketPath, requestTimeoutMs: timeoutMs, connections: 1 });
  try {
    return await client.health(opts.signal ? { signal: opts.signal } : undefined);
  } finally {
    await client.close();
  }
}
