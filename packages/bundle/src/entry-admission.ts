import type { RejectReason } from "./errors";
import { quotePath } from "./quote-path";
import type { ManifestFile } from "./manifest";
import { normalizeEntryPath } from "./path-rules";

/** What the extractor knows about a tar entry when it decides on it (its header, after pax/GNU names). */
export interface EntryHeader {
  /** node-tar's type name: "File", "Directory", "SymbolicLink", … */
  type: string;
  /** The entry's name as the archive states it. */
  path: string;
  /** Declared body size. */
  size: number;
}

/** What admission decisions depend on; `seen`, `entries` and `declaredUnpacked` are updated by each decision. */
export interface AdmissionState {
  readonly listed: ReadonlyMap<string, ManifestFile>;
  readonly allowedDirs: ReadonlySet<string>;
  readonly maxEntries: number;
  readonly maxUnpackedBytes: number;
  readonly seen: Set<string>;
  entries: number;
  declaredUnpacked: number;
}

/** Outcome of {@link admitEntry}: the normalised path to create (`""` = the root `./`), or why not. */
export type Admission =
  | { admit: true; path: string; kind: "file" | "dir" }
  | { admit: false; reason: RejectReason; message: string; path?: string };

/**
 * Decides on one tar entry from its header alone, before any byte of it is
 * written: entry cap, type (files and directories only), path rules after
 * `.` normalisation, duplicates, listed in the manifest (files) or a parent
 * of a listed file (directories), declared size against the manifest and
 * the unpacked cap. No I/O; the only effect is on `state`'s counters.
 */
export function admitEntry(header: EntryHeader, state: AdmissionState): Admission {
  const no = (reason: RejectReason, message: string, path?: string): Admission =>
    path === undefined ? { admit: false, reason, message } : { admit: false, reason, message, path };
  state.entries += 1;
  if (state.entries > state.maxEntries) return no("too_many_entries", `archive has more than ${state.maxEntries} entries`);
  const { type, path: rawPath } = header;
  if (type === "SymbolicLink" || type === "Link") return no("link_entry", `link entry ${quotePath(rawPath)}`, rawPath);
  if (type !== "File" && type !== "Directory") {
    return no("special_entry", `entry ${quotePath(rawPath)} of type ${type}`, rawPath);
  }
  const isDir = type === "Directory";
  const normalized = normalizeEntryPath(rawPath, isDir);
  if (!normalized.ok || (normalized.path === null && !isDir)) {
    return no(normalized.ok ? "unsafe_path" : normalized.problem, `unsafe entry path ${quotePath(rawPath)}`, rawPath);
  }
  // `./` is dest itself: nothing to create, but it may appear only once.
  const path = normalized.path ?? "";
  if (state.seen.has(path)) return no("duplicate_entry", `entry ${quotePath(path)} appears twice`, path);
  state.seen.add(path);
  if (isDir) {
    if (path !== "" && !state.allowedDirs.has(path)) {
      return no("unlisted_file", `directory ${quotePath(path)} holds no listed file`, path);
    }
    if (header.size !== 0) return no("corrupt_archive", `directory ${quotePath(path)} has a body`, path);
    return { admit: true, path, kind: "dir" };
  }
  const listed = state.listed.get(path);
  if (!listed) return no("unlisted_file", `file ${quotePath(path)} is not listed in the manifest`, path);
  if (header.size !== listed.size) {
    return no("file_size_mismatch", `file ${quotePath(path)} is ${header.size} bytes, the manifest states ${listed.size}`, path);
  }
  state.declaredUnpacked += header.size;
  if (state.declaredUnpacked > state.maxUnpackedBytes) {
    return no("unpacked_too_large", `unpacked files exceed the cap of ${state.maxUnpackedBytes} bytes`, path);
  }
  return { admit: true, path, kind: "file" };
}
