import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { completionVerdict, pipelineFailureVerdict } from "../extraction-verdict";
import { assertProperty } from "@recall/test-utils";

const hex = fc.constantFrom("a".repeat(64), "b".repeat(64));

describe("completionVerdict (the checks made once the stream has ended)", () => {
  it("size, then hash, then the first missing file in sort order; null only when all hold", async () => {
    await assertProperty(
      fc.property(
        fc.nat({ max: 3 }),
        fc.nat({ max: 3 }),
        hex,
        hex,
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        (bytes, stated, sha, statedSha, listed, writtenFlags) => {
          const written = new Set(listed.filter((_, i) => writtenFlags[i]));
          const v = completionVerdict({ archiveBytes: bytes, statedSize: stated, archiveSha256: sha, statedSha256: statedSha, listed, written });
          const missing = listed.filter((p) => !written.has(p)).sort();
          if (bytes !== stated) expect(v).toMatchObject({ reason: "archive_size_mismatch" });
          else if (sha !== statedSha) expect(v).toMatchObject({ reason: "archive_hash_mismatch" });
          else if (missing.length > 0) {
            expect(v).toMatchObject({ reason: "missing_file", path: missing[0] });
            expect(v?.message).toContain(`${missing.length} listed file(s) missing`);
          } else expect(v).toBeNull();
        },
      ),
      500,
    );
  });

  it("quotes a missing name with its control characters escaped", () => {
    const v = completionVerdict({
      archiveBytes: 1,
      statedSize: 1,
      archiveSha256: "a",
      statedSha256: "a",
      listed: ["x\u001b[2Jy"],
      written: new Set(),
    });
    expect(v?.message).toContain("\\u001b");
    // eslint-disable-next-line no-control-regex
    expect(v?.message).not.toMatch(/\u001b/);
  });
});

describe("pipelineFailureVerdict (whose fault a failed pipeline is)", () => {
  it("the source's own error is I/O whatever gunzip says; a gzip error is a short read before archive.size bytes, corrupt after", async () => {
    const maybeError = fc.option(fc.string({ minLength: 1, maxLength: 8 }).map((m) => new Error(m)), { nil: null });
    await assertProperty(
      fc.property(maybeError, maybeError, fc.nat({ max: 10 }), fc.nat({ max: 10 }), (sourceError, gunzipError, bytes, stated) => {
        const v = pipelineFailureVerdict({ sourceError, gunzipError, archiveBytes: bytes, statedSize: stated });
        if (sourceError) expect(v).toEqual({ io: sourceError });
        else if (gunzipError && bytes < stated) expect(v).toMatchObject({ reason: "archive_size_mismatch", cause: gunzipError });
        else if (gunzipError) {
          expect(v).toMatchObject({ reason: "corrupt_archive", cause: gunzipError });
          expect("message" in v && v.message).toContain(gunzipError.message);
        } else expect(v).toEqual({ io: null });
      }),
      500,
    );
  });
});
