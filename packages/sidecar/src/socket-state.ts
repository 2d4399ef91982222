import { lstat, unlink } from "node:fs/promises";
import { probeHealth } from "@recall/client";

/** What sits at a socket path. */
export type SocketState = "absent" | "stale" | "live" | "not_socket";

/**
 * Classifies `socketPath`: nothing there, a socket file nobody listens on
 * (`stale`), a socket something answers on (`live`: a `/health` probe got any
 * answer other than "unavailable", a timeout included), or a non-socket file.
 */
export async function socketState(socketPath: string, timeoutMs: number): Promise<SocketState> {
  try {
    const st = await lstat(socketPath);
    if (!st.isSocket()) return "not_socket";
  } catch (_e) {
    return "absent";
  }
  const r = await probeHealth(socketPath, timeoutMs);
  return r.class === "unavailable" ? "stale" : "live";
}

/** Unlinks `socketPath` if it is there; never throws. */
export async function unlinkQuietly(socketPath: string): Promise<void> {
  try {
    await unlink(socketPath);
  } catch (_e) {
    // already gone, or not ours to remove
  }
}
