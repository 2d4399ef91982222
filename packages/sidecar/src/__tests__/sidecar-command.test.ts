import { describe, expect, it } from "vitest";
import { PROBE_SCHEDULE_MS, PROBE_STEADY_MS, Sidecar } from "../index";

const base = { socketPath: "/run/r/m.sock", bundleRoot: "/var/b" };

describe("Sidecar.command", () => {
  it("runs a native binary directly: <bin> [extraArgs] serve --socket --bundle-root --parent-pid", () => {
    const sc = new Sidecar({ ...base, binary: "/usr/bin/tlm", extraArgs: ["--log-level", "debug"] });
    expect(sc.command()).toEqual({
      file: "/usr/bin/tlm",
      args: ["--log-level", "debug", "serve", "--socket", "/run/r/m.sock", "--bundle-root", "/var/b", "--parent-pid", String(process.pid)],
    });
  });

  it.each(["/x/tlm.js", "/x/tlm.mjs", "/x/tlm.cjs"])("runs %s with this Node", (binary) => {
    const sc = new Sidecar({ ...base, binary, parentPid: 7 });
    expect(sc.command()).toEqual({
      file: process.execPath,
      args: [binary, "serve", "--socket", "/run/r/m.sock", "--bundle-root", "/var/b", "--parent-pid", "7"],
    });
  });

  it("passes --poll-interval when set", () => {
    expect(new Sidecar({ ...base, binary: "/t", pollInterval: 250 }).command().args.slice(-2)).toEqual(["--poll-interval", "250ms"]);
    expect(new Sidecar({ ...base, binary: "/t", pollInterval: "5s" }).command().args.slice(-2)).toEqual(["--poll-interval", "5s"]);
  });

  it("has no child before spawn", async () => {
    const sc = new Sidecar({ ...base, binary: "/t" });
    expect(sc.pid).toBeNull();
    expect(sc.recentOutput()).toEqual([]);
    expect(await sc.wait()).toEqual({ code: null, signal: null });
    expect(await sc.waitReady(undefined, 1000)).toMatchObject({ ok: false, reason: "exited" });
    await expect(sc.shutdown(0)).resolves.toBeUndefined();
  });
});

describe("probe schedule", () => {
  it("is 5, 10, 20, 40, 80, 160 ms, then every 250 ms", () => {
    expect(PROBE_SCHEDULE_MS).toEqual([5, 10, 20, 40, 80, 160]);
    expect(PROBE_STEADY_MS).toBe(250);
  });
});
