import { REJECT_FIXES } from "@recall/bundle";

/** One-line fixes for bundle rejections and pull failures, shown under the reason. */
const HINTS: Record<string, string> = {
  // Bundle rejections: the fixes live with the reasons, in @recall/bundle.
  ...REJECT_FIXES,
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
