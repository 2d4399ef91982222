import { BundleRejectedError, type RejectReason } from "./errors";
import { parseManifest, type Manifest } from "./manifest";

/** The caps an extraction starts under (the options of `safeExtract`, `maxEntries` resolved). */
export interface StartCaps {
  /** Cap on compressed bytes. */
  maxBytes: number;
  /** Cap on file bytes unpacked. */
  maxUnpackedBytes: number;
  /** Cap on tar entries. */
  maxEntries: number;
}

/** Outcome of {@link startGate}: start, with the sum of the listed file sizes, or the rejection. */
export type StartDecision =
  | { start: true; declaredTotal: number }
  | { start: false; rejection: BundleRejectedError };

/**
 * Decides whether an extraction may start at all, from what is known before
 * the first archive byte: not already aborted (`aborted`), a manifest that
 * passes the schema (`bad_manifest`; it is the trust anchor of every later
 * check, so its shape is never taken on faith), a stated archive size within
 * `maxBytes` (`archive_too_large`), no more listed files than `maxEntries`
 * (`too_many_entries`), listed sizes within `maxUnpackedBytes`
 * (`unpacked_too_large`), checked in that order. Pure: no I/O, never throws.
 */
export function startGate(manifest: Manifest, caps: StartCaps, aborted: boolean): StartDecision {
  const no = (reason: RejectReason, message: string): StartDecision => ({
    start: false,
    rejection: new BundleRejectedError(reason, message),
  });
  if (aborted) return no("aborted", "extraction aborted before it started");
  const checked = parseManifest(manifest);
  if (!checked.ok) return { start: false, rejection: checked.rejection };
  if (manifest.archive.size > caps.maxBytes) {
    return no("archive_too_large", `archive is ${manifest.archive.size} bytes, more than the cap of ${caps.maxBytes}`);
  }
  if (manifest.files.length > caps.maxEntries) {
    return no("too_many_entries", `manifest lists ${manifest.files.length} files, more than the cap of ${caps.maxEntries}`);
  }
  const declaredTotal = manifest.files.reduce((n, f) => n + f.size, 0);
  if (declaredTotal > caps.maxUnpackedBytes) {
    return no("unpacked_too_large", `files total ${declaredTotal} bytes, more than the cap of ${caps.maxUnpackedBytes}`);
  }
  return { start: true, declaredTotal };
}
