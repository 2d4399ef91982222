/** One-line fixes for bundle rejections and pull failures, shown under the reason. */
const HINTS: Record<string, string> = {
  bad_manifest: "the manifest is malformed: rebuild the bundle with `recall bundle pack` or `tlm bundle build`",
  unsigned: "sign it (`recall bundle sign DIR --key F`), or trust unsigned bundles by emptying memory.bundle_public_keys",
  bad_signature: "it is not signed by any key in memory.bundle_public_keys: add the publisher's key (its .pub file) or re-sign",
  schema_out_of_range: "the bundle's schema_version is outside memory.bundle_schema_range: upgrade tlm/recall or widen the range",
  expired: "the bundle's expires_at has passed: publish a fresh bundle",
  wrong_tenant: "the bundle was published for another tenant (API key): check memory.api_key and the publisher's --tenant",
  rollback: "its bundle_id is older than the highest installed: publish a newer id (or `recall bundle install --allow-rollback`)",
  unsafe_path: "the archive holds an unsafe path: do not install it; rebuild from a clean directory",
  too_deep: "the archive nests deeper than 16 levels: flatten the bundle files",
  link_entry: "the archive holds a link: only regular files and directories are allowed",
  special_entry: "the archive holds a device/fifo: only regular files and directories are allowed",
  duplicate_entry: "the archive holds a path twice: rebuild it",
  unlisted_file: "the archive holds a file the manifest does not list: the two do not belong together; re-publish",
  missing_file: "a file listed in the manifest is missing from the archive: re-publish",
  file_size_mismatch: "a file's size differs from the manifest: the archive was altered or corrupted; re-publish",
  file_hash_mismatch: "a file's sha256 differs from the manifest: the archive was altered or corrupted; re-publish",
  archive_too_large: "the archive is larger than memory.bundle_max_bytes: raise it if the bundle is expected to be this big",
  archive_size_mismatch: "the archive's size differs from the manifest: incomplete upload or tampering; re-publish",
  archive_hash_mismatch: "the archive's sha256 differs from the manifest: incomplete upload or tampering; re-publish",
  unpacked_too_large: "the unpacked bundle exceeds memory.bundle_max_unpacked_bytes",
  too_many_entries: "the archive holds more than 100 000 entries",
  corrupt_archive: "the archive is not a valid gzip tar: re-publish",
  aborted: "interrupted: run the command again",
  unauthorized: "the endpoint refused the API key: check memory.api_key (or RECALL_MEMORY_API_KEY)",
  http_status: "the endpoint answered an unexpected HTTP status: check memory.endpoint",
  network: "could not reach the endpoint: is it up, and is memory.endpoint right?",
  timeout: "the endpoint did not answer in time: check the network or try again",
  download_timeout: "the download took longer than memory.bundle_download_timeout",
  too_slow: "the download was slower than memory.bundle_min_bytes_per_s: check the network",
  manifest_too_large: "the manifest is too large: check memory.endpoint points at a bundle endpoint",
  insecure_url: "plain http is allowed only to loopback: use https, or set memory.allow_insecure_http: true",
  io: "the local disk failed: check free space and permissions of memory.bundle_root",
  not_found: "no manifest.json/archive there: pass a publish directory (manifest.json + archive)",
};

/** The fix for a rejection or failure reason, if one is known. */
export function hintFor(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : HINTS[reason];
}
