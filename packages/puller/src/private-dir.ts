import { lstat, realpath } from "node:fs/promises";
import { join, parse, resolve, sep } from "node:path";
import { bundleRootLayout } from "./layout";

/** Verdict of {@link checkPrivateDir}: `ok`, or the first problem found with the command that fixes it. */
export type PrivateDirResult =
  | { ok: true; path: string }
  | {
      ok: false;
      /** The directory that was asked about. */
      path: string;
      /** The path component at fault (the directory itself, a parent, a symlink on the way). */
      culprit: string;
      /** What is wrong, e.g. `/srv is writable by group or others (mode 0777) without the sticky bit`. */
      problem: string;
      /** A shell command or step that fixes it. */
      fix: string;
    };

/** Options of {@link checkPrivateDir}. */
export interface PrivateDirOptions {
  /** The uid that must own the directory (default: this process's). */
  uid?: number;
}

const STICKY = 0o1000;
const GROUP_OTHER_WRITE = 0o022;

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, "0")}`;
}

function ownUid(opts: PrivateDirOptions): number {
  return opts.uid ?? (typeof process.getuid === "function" ? process.getuid() : 0);
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
 * Decides whether `dir` is safe to hold recall's sockets or bundles, the way
 * ssh judges key files (docs/SECURITY.md): the directory, when it exists, is a
 * directory owned by `uid` and not writable by group or others (even with the
 * sticky bit); every existing parent, on the path as written and on its real
 * path, is owned by `uid` or root and is not writable by group or others
 * unless it has the sticky bit (as `/tmp` has); a symlink on the way is owned
 * by `uid` or root (a link planted in a shared directory is refused). A
 * directory that does not exist yet is judged by its existing parents (recall
 * creates it 0700). Never throws for a refusal; rejects only on unexpected
 * I/O errors (EACCES on a parent is a refusal).
 */
export async function checkPrivateDir(dir: string, opts: PrivateDirOptions = {}): Promise<PrivateDirResult> {
  const uid = ownUid(opts);
  const abs = resolve(dir);
  const refuse = (culprit: string, problem: string, fix: string): PrivateDirResult => ({ ok: false, path: abs, culprit, problem, fix });
  const ownedOk = (owner: number) => owner === uid || owner === 0;
  let lexical: { chain: string[]; complete: boolean };
  try {
    lexical = await existingChain(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    return refuse(abs, `${abs} cannot be inspected (${code})`, `make its parents searchable by uid ${uid}, or choose another directory`);
  }
  // 1. symlinks on the path as written: a link someone else planted redirects recall anywhere
  for (const p of lexical.chain) {
    const st = await lstat(p);
    if (st.isSymbolicLink() && !ownedOk(st.uid)) {
      return refuse(p, `${p} is a symlink owned by uid ${st.uid}, not by you (uid ${uid}) or root`, `remove the link (rm ${p}) and use a real directory`);
    }
  }
  // 2. every component of the real path
  const deepest = lexical.chain[lexical.chain.length - 1]!;
  let real: string;
  try {
    real = await realpath(deepest);
  } catch (err) {
    return refuse(deepest, `${deepest} cannot be resolved (${(err as NodeJS.ErrnoException).code ?? "error"})`, `fix or remove ${deepest}`);
  }
  const realChain = (await existingChain(real)).chain;
  const self = lexical.complete ? real : null;
  for (const p of realChain) {
    const st = await lstat(p);
    if (p === self) {
      if (!st.isDirectory()) return refuse(abs, `${abs} is not a directory`, `remove it (rm ${abs}) or choose another directory`);
      if (st.uid !== uid) {
        return refuse(abs, `${abs} is owned by uid ${st.uid}, not by you (uid ${uid})`, `chown ${uid} ${abs} (or choose a directory you own)`);
      }
      if ((st.mode & GROUP_OTHER_WRITE) !== 0) {
        return refuse(abs, `${abs} is writable by group or others (mode ${octal(st.mode)})`, `chmod 700 ${abs}`);
      }
      continue;
    }
    if (!ownedOk(st.uid)) {
      return refuse(p, `${p} (a parent of ${abs}) is owned by uid ${st.uid}, not by you (uid ${uid}) or root`, `choose a directory whose parents belong to you or root, or chown ${uid} ${p}`);
    }
    if ((st.mode & GROUP_OTHER_WRITE) !== 0 && (st.mode & STICKY) === 0) {
      return refuse(p, `${p} (a parent of ${abs}) is writable by group or others (mode ${octal(st.mode)}) without the sticky bit`, `chmod go-w ${p} (or chmod +t ${p}), or choose another directory`);
    }
  }
  return { ok: true, path: abs };
}

/**
 * {@link checkPrivateDir} for a bundle root, plus its layout: `staging/` and
 * `bundles/`, when they exist, must be real directories (never symlinks: the
 * puller deletes inside them). `current` is a symlink by design and is not
 * judged here.
 */
export async function checkBundleRoot(root: string, opts: PrivateDirOptions = {}): Promise<PrivateDirResult> {
  const r = await checkPrivateDir(root, opts);
  if (!r.ok) return r;
  const l = bundleRootLayout(r.path);
  for (const sub of [l.staging, l.bundles]) {
    const st = await lstat(sub).catch(() => null);
    if (st === null) continue;
    if (st.isSymbolicLink() || !st.isDirectory()) {
      return {
        ok: false,
        path: r.path,
        culprit: sub,
        problem: `${sub} is ${st.isSymbolicLink() ? "a symlink" : "not a directory"}; recall deletes inside it and follows no links there`,
        fix: `remove it (rm ${sub}); recall recreates it`,
      };
    }
  }
  return r;
}

