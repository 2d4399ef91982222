import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "./fs-sync";
import type { StateJson } from "./types";

const OUTCOMES = new Set(["installed", "unchanged", "none", "busy", "rejected", "failed"]);

/** An empty state: nothing pulled yet. */
export function emptyState(): StateJson {
  return { etag: null, highest_bundle_id: null, last_pull: null, last_success: null, installed: null };
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function atObject(v: unknown): { at: string } | null {
  if (v && typeof v === "object" && typeof (v as { at?: unknown }).at === "string") return { at: (v as { at: string }).at };
  return null;
}

/** Validates untrusted state.json content field by field; unknown or bad fields become null. */
export function normalizeState(raw: unknown): StateJson {
  const s = emptyState();
  if (!raw || typeof raw !== "object") return s;
  const r = raw as Record<string, unknown>;
  s.etag = str(r.etag);
  s.highest_bundle_id = str(r.highest_bundle_id);
  const lp = r.last_pull as Record<string, unknown> | undefined;
  if (lp && typeof lp === "object" && typeof lp.at === "string" && typeof lp.outcome === "string" && OUTCOMES.has(lp.outcome)) {
    s.last_pull = { at: lp.at, outcome: lp.outcome as NonNullable<StateJson["last_pull"]>["outcome"] };
    if (typeof lp.error === "string") s.last_pull.error = lp.error;
  }
  s.last_success = atObject(r.last_success);
  const inst = r.installed as Record<string, unknown> | undefined;
  if (inst && typeof inst === "object" && typeof inst.bundle_id === "string" && typeof inst.at === "string") {
    s.installed = { bundle_id: inst.bundle_id, at: inst.at };
  }
  return s;
}

/**
 * Reads `state.json`. Missing → null. Unparseable → null too (the durable
 * `highest_bundle_id` then falls back to the installed bundles, see the puller).
 */
export async function readState(path: string): Promise<StateJson | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    return normalizeState(JSON.parse(text));
  } catch {
    return null;
  }
}

/** Writes `state.json` atomically (tmp + fsync + rename + fsync of the directory), mode 0600. */
export async function writeState(path: string, state: StateJson): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
