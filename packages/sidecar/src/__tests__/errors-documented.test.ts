import { describeErrorCatalogue } from "@recall/test-utils";
import { expect, it } from "vitest";
import { BinaryMissingError, ErrBinaryMissing, SIDECAR_ERROR_CODES, SidecarError } from "../index";

describeErrorCatalogue({ name: "SIDECAR_ERROR_CODES", codes: Object.keys(SIDECAR_ERROR_CODES), readme: new URL("../../README.md", import.meta.url), minCellLength: 3 }, () => {
  it("the deprecated ErrBinaryMissing is BinaryMissingError itself, and no error carries an exit code", () => {
    expect(ErrBinaryMissing).toBe(BinaryMissingError);
    const e = new BinaryMissingError("none", { searched: ["/x/tlm"], cause: new Error("root") });
    expect(e).toBeInstanceOf(SidecarError);
    expect(e).toMatchObject({ name: "BinaryMissingError", code: "SIDECAR_BINARY_MISSING", reason: "binary_missing", searched: ["/x/tlm"] });
    expect((e.cause as Error).message).toBe("root");
    expect("exitCode" in e).toBe(false);
  });
});
