import { readFileSync } from "node:fs";
import { link, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";

/** A held bundle-root lock; `release()` is idempotent. */
export interface HeldLock {
  release(): Promise<void>;
}

interface LockOwner {
  pid: number;
  start: string | null;
  token: string;
}

/** Start time of a process (field 22 of /proc/<pid>/stat), or null when unknown. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name may contain spaces and parentheses: fields start after the last ")"
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return "dead";
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const start = processStartTime(owner.pid);
  if (start === "dead") return false;
  // a reused pid has a different start time
  if (owner.start !== null && start !== null && start !== owner.start) return false;
  return true;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid !== "number" || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    return { pid: v.pid, start: typeof v.start === "string" ? v.start : null, token: String(v.token ?? "") };
  } catch {
    return null;
  }
}

async function readOwner(path: string): Promise<{ text: string; owner: LockOwner | null } | null> {
  try {
    const text = await readFile(path, "utf8");
    return { text, owner: parseOwner(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Creates `path` with `content` atomically (link of a complete tmp file): false when it exists. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}`;
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Takes the bundle-root lock at `path` (docs/bundle-root.md `bundle.lock`), shared by
 * every puller in this and other processes. The file appears atomically with
 * `{pid, start, token}`; a lock whose owner is dead (or whose pid was reused)
 * is broken under a second short-lived `.break` lock so that two breakers
 * cannot both win. Returns null when a live owner holds it (outcome `busy`).
 * Throws only on unexpected I/O errors.
 */
export async function acquireLock(path: string): Promise<HeldLock | null> {
  const me: LockOwner = { pid: process.pid, start: processStartTime(process.pid), token: randomBytes(8).toString("hex") };
  const content = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(path, content)) return heldLock(path, me.token);
    const seen = await readOwner(path);
    if (seen === null) continue; // released meanwhile: try again
    if (seen.owner !== null && isAlive(seen.owner)) return null;
    if (seen.owner === null) return null; // unreadable owner: never steal on doubt
    if (!(await breakStale(path, seen.text))) return null;
  }
  return null;
}

async function breakStale(path: string, staleText: string): Promise<boolean> {
  const breakPath = `${path}.break`;
  const me = JSON.stringify({ pid: process.pid, start: processStartTime(process.pid), token: "break" });
  if (!(await createExclusive(breakPath, me))) {
    const other = await readOwner(breakPath);
    if (other?.owner && !isAlive(other.owner)) await rm(breakPath, { force: true });
    return false;
  }
  try {
    const again = await readOwner(path);
    if (again !== null && again.text !== staleText) return false;
    await rm(path, { force: true });
    return true;
  } finally {
    await rm(breakPath, { force: true });
  }
}

function heldLock(path: string, token: string): HeldLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      const seen = await readOwner(path).catch(() => null);
      if (seen?.owner?.token === token) await unlink(path).catch(() => {});
    },
  };
}
