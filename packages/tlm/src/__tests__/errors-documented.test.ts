import { describeErrorCatalogue } from "@recall/test-utils";
import { expect, it } from "vitest";
import { TLM_ERROR_CODES, TlmError, SocketInUseError } from "../index";
import { TLM_EXIT_CODES, exitCodeOf } from "../cli-exit";
import { UsageError } from "../errors";

describeErrorCatalogue({ name: "TLM_ERROR_CODES", codes: Object.keys(TLM_ERROR_CODES), readme: new URL("../../README.md", import.meta.url) }, (documentedRows) => {
  it("the README exit column is the exit status the CLI maps each code to, and no error carries one", () => {
    const rows = documentedRows();
    for (const code of Object.keys(TLM_ERROR_CODES) as (keyof typeof TLM_ERROR_CODES)[]) {
      const exit = rows.get(code)?.[2];
      if (exit === "—") expect(code).toBe("TLM_BODY_TOO_LARGE");
      else expect(exit, code).toBe(String(TLM_EXIT_CODES[code]));
    }
    expect(exitCodeOf(new SocketInUseError("/s"))).toBe(3);
    expect(exitCodeOf(new UsageError("bad"))).toBe(2);
    expect(exitCodeOf(new Error("plain"))).toBe(1);
    expect("exitCode" in new TlmError("TLM_UNSAFE_DIR", "x")).toBe(false);
  });
});
