import { lstat, realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { TlmError } from "./errors";

/** Why a directory is not safe to serve from, and the command that fixes it. */
export interface DirRefusal { path: string; problem: string; fix: string }

/** What {@link dirRefusal} needs to know about one directory. */
export interface DirFacts { uid: number; mode: number; isDirectory: boolean }

const GROUP_OTHER_WRITE = 0o022;

/** An owner tlm trusts: itself, or root (who can change anything anyway). */
function trustedOwner(owner: number, me: number): boolean {
  return owner === me || owner === 0;
}

/**
 * The pure rule, as ssh applies it to key files: the directory itself must be
 * owned by `me` (or root) and writable by nobody else; every ancestor must be
 * owned by `me` or root. An ancestor's mode is not judged: container volumes
 * (a Kubernetes emptyDir is a root-owned 0777 directory shared only inside the
 * pod) hold the socket directory, and /tmp is 1777. Returns the refusal with
 * its fix, or null.
 */
export function dirRefusal(path: string, facts: DirFacts, me: number, role: "self" | "ancestor"): DirRefusal | null {
  if (!facts.isDirectory) return { path, problem: "is not a directory", fix: `remove or rename ${path}` };
  if (!trustedOwner(facts.uid, me)) {
    return { path, problem: `is owned by uid ${facts.uid}, not by this user (uid ${me})`, fix: `chown ${me} ${path} (or use a directory you own)` };
  }
  const writable = (facts.mode & GROUP_OTHER_WRITE) !== 0;
  if (role === "self" && writable) {
    return { path, problem: `is writable by group or others (mode ${(facts.mode & 0o7777).toString(8).padStart(4, "0")})`, fix: `chmod 700 ${path}` };
  }
  return null;
}

function factsOf(st: Stats): DirFacts {
  return { uid: st.uid, mode: st.mode, isDirectory: st.isDirectory() };
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/**
 * Checks a directory tlm is about to trust (`what` names it in the message):
 * when it exists, it may be a symlink only to a directory owned by this user
 * or root, and its real path must pass {@link dirRefusal} along with every
 * ancestor; when it does not exist yet, its nearest existing ancestor chain
 * must pass. Returns the refusal or null.
 */
export async function findDirRefusal(dir: string, me: number): Promise<DirRefusal | null> {
  let path = resolve(dir);
  let role: "self" | "ancestor" = "self";
  let st = await lstatOrNull(path);
  while (st === null) {
    const up = dirname(path);
    if (up === path) return null;
    path = up;
    role = "ancestor";
    st = await lstatOrNull(path);
  }
  if (st.isSymbolicLink()) {
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      return { path, problem: "is a dangling symlink", fix: `rm ${path}` };
    }
    const target = await stat(real);
    if (!trustedOwner(target.uid, me)) {
      return { path, problem: `is a symlink to ${real}, owned by uid ${target.uid}, not by this user (uid ${me})`, fix: `rm ${path} and create it as a directory you own` };
    }
    path = real;
    st = target;
  } else {
    path = await realpath(path);
  }
  const own = dirRefusal(path, factsOf(st), me, role);
  if (own) return own;
  for (let up = dirname(path); ; up = dirname(up)) {
    const refusal = dirRefusal(up, factsOf(await stat(up)), me, "ancestor");
    if (refusal) return refusal;
    if (dirname(up) === up) return null;
  }
}

/**
 * Throws `TlmError` `TLM_UNSAFE_DIR` (the CLI exits 2) naming the directory, the
 * problem and the fix when {@link findDirRefusal} refuses `dir`.
 * `what` is how the message names it ("socket directory", "bundle root").
 */
export async function assertSafeDir(dir: string, what: string, me: number = process.getuid?.() ?? 0): Promise<void> {
  const refusal = await findDirRefusal(dir, me);
  if (refusal === null) return;
  throw new TlmError("TLM_UNSAFE_DIR",
    `refusing to use ${what} ${dir}: ${refusal.path} ${refusal.problem}; fix: ${refusal.fix}`);
}
