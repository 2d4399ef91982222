import type { RejectReason } from "./errors";

/**
 * What to do about each rejection, in one line for an operator (the CLI
 * prints it under the reason). Each names the cause that reason really has.
 */
export const REJECT_FIXES: Readonly<Record<RejectReason, string>> = Object.freeze({
  bad_manifest:
    "the manifest is malformed or over a cap (a path over 1024 bytes or 16 levels, over 100 000 files, a string over 4096 characters): rebuild the bundle with `recall bundle pack` or `tlm bundle build`",
  unsigned: "sign the manifest (`recall bundle sign DIR --key F`), or trust unsigned bundles by emptying memory.bundle_public_keys",
  bad_signature:
    "no valid signature by a key in memory.bundle_public_keys: add the publisher's public key (its .pub file), or re-sign the manifest with a configured key",
  schema_out_of_range:
    "the bundle's schema_version is outside memory.bundle_schema_range: upgrade tlm/recall, or widen the range",
  expired: "the bundle's expires_at has passed: publish a fresh bundle",
  wrong_tenant:
    "the bundle was published for another tenant (API key): check memory.api_key and the publisher's --tenant",
  rollback:
    "its bundle_id sorts before the highest one installed: publish under a newer bundle_id (or `recall bundle install --allow-rollback`)",
  unsafe_path:
    "the archive holds a path that could escape or alias the install directory (absolute, `..`, an empty segment, NUL, backslash, a control character, over 1024 bytes): do not install it; if you published it, re-pack it with `recall bundle pack` (names like `./memories.db` are fine)",
  too_deep: "an archive path nests deeper than 16 levels: flatten the bundle's files",
  link_entry:
    "the archive holds a symlink or hardlink: only regular files and directories are allowed; archive the files themselves (`tar --dereference --hard-dereference`)",
  special_entry:
    "the archive holds a device, fifo or another entry type that is not a file or directory: remove it from the source directory and re-pack",
  duplicate_entry:
    "the archive holds the same path twice (`x` and `./x` count as one, as do names equal on a case-insensitive filesystem): re-pack it from a single directory",
  unlisted_file:
    "the archive holds a file or directory the manifest does not list: archive and manifest do not belong together (or the source had extra files); rebuild and publish both together",
  missing_file: "a file the manifest lists is not in the archive: rebuild and publish archive and manifest together",
  file_size_mismatch:
    "a file's size differs from the manifest: the archive was altered or belongs to another manifest; publish both together",
  file_hash_mismatch:
    "a file's sha256 differs from the manifest: the archive was altered or belongs to another manifest; publish both together",
  archive_too_large: "the archive is larger than memory.bundle_max_bytes: raise it if the bundle is expected to be this big",
  archive_size_mismatch:
    "the archive's size differs from the manifest's archive.size: an interrupted download or upload, or a replaced archive; retry, else re-publish both files",
  archive_hash_mismatch:
    "the archive's sha256 differs from the manifest's archive.sha256: a damaged or replaced archive; re-publish both files together",
  unpacked_too_large:
    "the files exceed memory.bundle_max_unpacked_bytes, or the archive decompresses to far more than its listed files (a gzip bomb): raise the cap only if the bundle really is this big",
  too_many_entries:
    "the archive or manifest holds more entries than the cap (100 000 by default), or a flood of extended headers: ship fewer, larger files",
  corrupt_archive:
    "the archive is not a clean gzip tar (truncated, a damaged header, or data after the tar end-of-archive marker beyond 64 KiB of zero padding): re-create it with `recall bundle pack` or `tar -czf` and re-publish",
  aborted: "interrupted (shutdown, timeout or a signal): run it again",
});
