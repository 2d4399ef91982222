import { describeErrorCatalogue } from "@recall/test-utils";
import { expect, it } from "vitest";
import { SAFE_FS_ERROR_CODES, SafeFsError } from "../index";

describeErrorCatalogue({ name: "SAFE_FS_ERROR_CODES", codes: Object.keys(SAFE_FS_ERROR_CODES), readme: new URL("../../README.md", import.meta.url), minCellLength: 3 }, () => {
  it("SafeFsError carries its code, the path and a name", () => {
    const e = new SafeFsError("SAFE_FS_NOT_INSIDE", "refusing", "/x");
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: "SafeFsError", code: "SAFE_FS_NOT_INSIDE", path: "/x", message: "refusing" });
  });
});
