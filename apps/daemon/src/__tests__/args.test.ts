import { describe, expect, it } from "vitest";
import { parseDaemonArgs, USAGE } from "../args";

describe("parseDaemonArgs", () => {
  it("defaults to spawn mode at info level with no config file", () => {
    expect(parseDaemonArgs([])).toEqual({ ok: true, value: { attach: false, logLevel: "info", help: false, version: false } });
  });

  it("reads every flag", () => {
    const r = parseDaemonArgs(["--config", "/etc/recall.yaml", "--attach", "--log-level", "debug", "--help", "--version"]);
    expect(r).toEqual({ ok: true, value: { config: "/etc/recall.yaml", attach: true, logLevel: "debug", help: true, version: true } });
    expect(parseDaemonArgs(["--config=/x.yaml"])).toMatchObject({ ok: true, value: { config: "/x.yaml" } });
  });

  it("rejects unknown options, positionals, missing values and bad levels with a message", () => {
    for (const argv of [["--nope"], ["serve"], ["--config"], ["--log-level", "loud"], ["--config", ""]]) {
      const r = parseDaemonArgs(argv);
      expect(r.ok, argv.join(" ")).toBe(false);
      if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
    }
    const bad = parseDaemonArgs(["--log-level", "loud"]);
    expect(bad.ok === false && bad.message).toContain("loud");
  });

  it("documents every flag in the usage text", () => {
    for (const flag of ["--config", "--attach", "--log-level", "--help", "--version", "SIGHUP", "Exit codes"]) {
      expect(USAGE).toContain(flag);
    }
  });
});
