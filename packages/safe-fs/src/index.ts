export { checkPrivateDir, judgePathEntry, octalMode } from "./private-dir";
export type { PrivateDirResult, PrivateDirOptions, EntryFacts, EntryRole, EntryRefusal } from "./private-dir";
export { removeInside } from "./remove-inside";
export { writeFileAtomic, fsyncDir } from "./atomic-write";
export type { WriteFileAtomicOptions } from "./atomic-write";
export { SafeFsError, SAFE_FS_ERROR_CODES } from "./errors";
export type { SafeFsErrorCode } from "./errors";
