import { readdirSync, readFileSync } from "node:fs";

/** Sends `signal` to every process of group `pgid`; false when the group is gone. Never throws. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (_e) {
    return false;
  }
}

/**
 * Whether group `pgid` still has a live (non-zombie) member. Zombies are dead:
 * they hold no socket and wait only for their new parent to reap them.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  const members = groupMembers(pgid);
  if (members === null) return true;
  return members.some((m) => m.state !== "Z" && m.state !== "X");
}

/** Members of group `pgid` from /proc (Linux), or null when /proc is unavailable. */
export function groupMembers(pgid: number): { pid: number; state: string }[] | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch (_e) {
    return null;
  }
  const out: { pid: number; state: string }[] = [];
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const stat = readProcStat(Number(name));
    if (stat && stat.pgrp === pgid) out.push({ pid: Number(name), state: stat.state });
  }
  return out;
}

/** Fields of /proc/<pid>/stat we use, or null when the process is gone. */
export function readProcStat(pid: number): { state: string; ppid: number; pgrp: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may contain spaces and parentheses: the fields start after the last ')'
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0] ?? "?", ppid: Number(rest[1]), pgrp: Number(rest[2]) };
  } catch (_e) {
    return null;
  }
}
