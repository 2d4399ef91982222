import type { Manifest, RejectReason } from "../src/index";

/** Shapes a valid manifest may take (the parser must accept them); every other shape is refused. */
export declare const VALID_MANIFEST_SHAPES: Set<string>;
/** name → (approximate byte size n) → manifest JSON text of about n bytes. */
export declare const MANIFEST_SHAPES: Record<string, (n: number) => string>;

/** A worst-shape archive with the manifest it must be checked against. */
export interface ArchiveShape {
  archive: Buffer;
  manifest: Manifest;
  /** "ok", or the reason it must be rejected for. */
  expect: "ok" | RejectReason;
}
/** name → (scale n) → archive; cost should grow at most linearly with n. */
export declare const ARCHIVE_SHAPES: Record<string, (n: number) => ArchiveShape>;
