import { describeErrorCatalogue } from "@recall/test-utils";
import { expect, it } from "vitest";
import { DAEMON_ERROR_CODES, DaemonError } from "../index";
import { ConfigError } from "@recall/config";
import { DAEMON_EXIT_CODES, exitCodeOf } from "../exit-codes";

describeErrorCatalogue({ name: "DAEMON_ERROR_CODES", codes: Object.keys(DAEMON_ERROR_CODES), readme: new URL("../../README.md", import.meta.url) }, (documentedRows) => {
  it("the README exit column is the status runDaemon maps each code to, and no error carries one", () => {
    const rows = documentedRows();
    for (const code of Object.keys(DAEMON_ERROR_CODES) as (keyof typeof DAEMON_ERROR_CODES)[]) {
      expect(rows.get(code)?.[1], code).toBe(String(DAEMON_EXIT_CODES[code]));
      const e = new DaemonError(code, "x");
      expect("exitCode" in e, code).toBe(false);
      expect(exitCodeOf(e), code).toBe(DAEMON_EXIT_CODES[code]);
    }
    expect(exitCodeOf(new ConfigError("CONFIG_INVALID", "bad"))).toBe(2);
    expect(exitCodeOf(new Error("plain"))).toBe(1);
  });
});
