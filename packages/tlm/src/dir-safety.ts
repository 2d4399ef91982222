import { checkPrivateDir } from "@recall/safe-fs";
import { TlmError } from "./errors";

/**
 * Throws `TlmError` `TLM_UNSAFE_DIR` (the CLI exits 2) naming the directory,
 * the problem and the fix when recall's one directory rule
 * (`@recall/safe-fs` `checkPrivateDir`, as ssh judges key files) refuses
 * `dir`: it must be owned by this user and not writable by group or others;
 * every parent owned by this user or root and not writable by others unless
 * sticky; a symlink on the way owned by this user or root. A missing `dir` is
 * judged by its parents. `what` is how the message names it ("socket
 * directory", "bundle root").
 */
export async function assertSafeDir(dir: string, what: string, uid: number = process.getuid?.() ?? 0): Promise<void> {
  const verdict = await checkPrivateDir(dir, { uid });
  if (verdict.ok) return;
  throw new TlmError("TLM_UNSAFE_DIR", `refusing to use ${what} ${dir}: ${verdict.problem}; fix: ${verdict.fix}`);
}
