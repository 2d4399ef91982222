import { lstat, realpath } from "node:fs/promises";
import { join, parse, resolve, sep } from "node:path";

/** Verdict of {@link checkPrivateDir}: `ok`, or the first problem found with the command that fixes it. */
export type PrivateDirResult =
  | { ok: true; path: string }
  | {
      ok: false;
      /** The directory that was asked about (absolute). */
      path: string;
      /** The path component at fault (the directory itself, a parent, a symlink on the way). */
      culprit: string;
      /** What is wrong, a whole sentence naming the path, e.g. `/srv is writable by group or others (mode 0777) without the sticky bit`. */
      problem: string;
      /** A shell command or step that fixes it, e.g. `chmod 700 /srv/recall`. */
      fix: string;
    };

/** Options of {@link checkPrivateDir}. */
export interface PrivateDirOptions {
  /** The uid that must own the directory (default: this process's). */
  uid?: number;
}

/** What {@link judgePathEntry} needs to know about one path component (an `lstat`). */
export interface EntryFacts {
  uid: number;
  mode: number;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

/**
 * Where a component sits: `self` is the directory asked about (its real
 * path), `parent` any existing directory above it (on the real path), `link`
 * a symlink met on the path as written.
 */
export type EntryRole = "self" | "parent" | "link";

/** A refusal of one component: what is wrong (without the path) and the fix. */
export interface EntryRefusal {
  problem: string;
  fix: string;
}

const STICKY = 0o1000;
const GROUP_OTHER_WRITE = 0o022;

/** `0755`, `01777`: a mode as `ls -l` users read it. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}

function ownUid(opts: PrivateDirOptions): number {
  return opts.uid ?? (typeof process.getuid === "function" ? process.getuid() : 0);
}

/**
 * The rule for one component, pure (property-tested), as ssh judges the
 * path of a key file:
 *
 * - `self`: a directory, owned by `uid`, not writable by group or others
 *   (the sticky bit does not help: others could still add entries);
 * - `parent`: owned by `uid` or root, and not writable by group or others
 *   unless it has the sticky bit (`/tmp`, 1777, is fine; a 0777 directory
 *   without it is not: anyone could rename the child away and plant another);
 * - `link`: owned by `uid` or root (a link someone else planted could point
 *   anywhere); where it points is judged as `self`/`parent`.
 *
 * `path` is only used in the fix. Returns null when the component passes.
 */
export function judgePathEntry(path: string, facts: EntryFacts, uid: number, role: EntryRole): EntryRefusal | null {
  const trusted = facts.uid === uid || facts.uid === 0;
  if (role === "link") {
    if (!facts.isSymbolicLink || trusted) return null;
    return { problem: `is a symlink owned by uid ${facts.uid}, not by you (uid ${uid}) or root`, fix: `remove the link (rm ${path}) and use a real directory` };
  }
  if (role === "self") {
    if (!facts.isDirectory) return { problem: "is not a directory", fix: `remove it (rm ${path}) or choose another directory` };
    if (facts.uid !== uid) return { problem: `is owned by uid ${facts.uid}, not by you (uid ${uid})`, fix: `chown ${uid} ${path} (or choose a directory you own)` };
    if ((facts.mode & GROUP_OTHER_WRITE) !== 0) return { problem: `is writable by group or others (mode ${octalMode(facts.mode)})`, fix: `chmod 700 ${path}` };
    return null;
  }
  if (!trusted) {
    return { problem: `is owned by uid ${facts.uid}, not by you (uid ${uid}) or root`, fix: `choose a directory whose parents belong to you or root, or chown ${uid} ${path}` };
  }
  if ((facts.mode & GROUP_OTHER_WRITE) !== 0 && (facts.mode & STICKY) === 0) {
    return { problem: `is writable by group or others (mode ${octalMode(facts.mode)}) without the sticky bit`, fix: `chmod go-w ${path} (or chmod +t ${path}), or choose another directory` };
  }
  return null;
}

function factsOf(st: { uid: number; mode: number; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryFacts {
  return { uid: st.uid, mode: st.mode, isDirectory: st.isDirectory(), isSymbolicLink: st.isSymbolicLink() };
}

/** The existing prefixes of `abs`, shortest first, and whether `abs` itself exists. */
async function existingChain(abs: string): Promise<{ chain: string[]; complete: boolean }> {
  const root = parse(abs).root;
  const parts = abs.slice(root.length).split(sep).filter(Boolean);
  const chain = [root];
  let cur = root;
  for (const p of parts) {
    cur = join(cur, p);
    try {
      await lstat(cur);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { chain, complete: false };
      throw err;
    }
    chain.push(cur);
  }
  return { chain, complete: true };
}

/**
 * Decides whether `dir` is safe to hold secrets, sockets or bundles when
 * other local users share the machine — recall's one rule (docs/SECURITY.md),
 * used by `recalld`, the puller, `tlm`, `recall doctor` and the CLI's config
 * cache. Every symlink on the path as written, and every component of its
 * real path, passes {@link judgePathEntry}: the directory itself (when it
 * exists) as `self`, everything above it as `parent`. A directory that does
 * not exist yet is judged by its existing parents (the caller creates it
 * 0700). Never throws for a refusal; rejects only on unexpected I/O errors
 * (EACCES on a parent is a refusal).
 */
export async function checkPrivateDir(dir: string, opts: PrivateDirOptions = {}): Promise<PrivateDirResult> {
  const uid = ownUid(opts);
  const abs = resolve(dir);
  const refuse = (culprit: string, problem: string, fix: string): PrivateDirResult => ({ ok: false, path: abs, culprit, problem, fix });
  let lexical: { chain: string[]; complete: boolean };
  try {
    lexical = await existingChain(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    return refuse(abs, `${abs} cannot be inspected (${code})`, `make its parents searchable by uid ${uid}, or choose another directory`);
  }
  // 1. symlinks on the path as written: a link someone else planted redirects us anywhere
  for (const p of lexical.chain) {
    const r = judgePathEntry(p, factsOf(await lstat(p)), uid, "link");
    if (r) return refuse(p, `${p} ${r.problem}`, r.fix);
  }
  // 2. every component of the real path
  const deepest = lexical.chain[lexical.chain.length - 1]!;
  let real: string;
  try {
    real = await realpath(deepest);
  } catch (err) {
    return refuse(deepest, `${deepest} cannot be resolved (${(err as NodeJS.ErrnoException).code ?? "error"})`, `fix or remove ${deepest}`);
  }
  const self = lexical.complete ? real : null;
  for (const p of (await existingChain(real)).chain) {
    const role = p === self ? "self" : "parent";
    const r = judgePathEntry(role === "self" ? abs : p, factsOf(await lstat(p)), uid, role);
    if (r === null) continue;
    if (role === "parent") return refuse(p, `${p} (a parent of ${abs}) ${r.problem}`, r.fix);
    return refuse(abs, `${p === abs ? abs : `${abs} (a symlink to ${p})`} ${r.problem}`, r.fix);
  }
  return { ok: true, path: abs };
}
