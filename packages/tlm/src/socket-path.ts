import { connect } from "node:net";
import { chmod, lstat, mkdir, unlink } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { assertSafeDir } from "./dir-safety";
import { SocketInUseError, TlmError } from "./errors";

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Resolves after trying to connect to `path`: true when something accepts the connection. */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(path);
    const timer = setTimeout(() => { s.destroy(); done(true); }, timeoutMs);
    s.once("connect", () => { clearTimeout(timer); s.destroy(); done(true); });
    s.once("error", () => { clearTimeout(timer); done(false); });
  });
}

/**
 * Makes `socketPath` ready to listen on: checks its length, refuses a
 * directory that another user owns or can write (`TLM_UNSAFE_DIR`, see
 * `assertSafeDir`), creates missing parent directories with mode 0700, refuses ({@link SocketInUseError}) when
 * a live server answers on it, and removes a stale socket file otherwise.
 * A non-socket file in the way is an error, never removed.
 */
export async function prepareSocketPath(socketPath: string): Promise<string> {
  const abs = resolve(socketPath);
  if (Buffer.byteLength(abs) > MAX_SOCKET_PATH_BYTES) {
    throw new TlmError("TLM_SOCKET_PATH_TOO_LONG", `socket path is ${Buffer.byteLength(abs)} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit: ${abs}`);
  }
  const dir = dirname(abs);
  await assertSafeDir(dir, "socket directory");
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first !== undefined) {
    // mkdir's mode is filtered by the umask: set 0700 explicitly on every directory we created.
    for (let d = dir; d.length >= first.length; d = dirname(d)) {
      await chmod(d, 0o700);
      if (d === first) break;
    }
  }
  let st;
  try {
    st = await lstat(abs);
  } catch {
    return abs;
  }
  if (!st.isSocket()) throw new TlmError("TLM_SOCKET_IN_USE", `${abs} exists and is not a socket; refusing to remove it`);
  if (await socketAnswers(abs)) throw new SocketInUseError(abs);
  await unlink(abs).catch(() => undefined);
  return abs;
}
