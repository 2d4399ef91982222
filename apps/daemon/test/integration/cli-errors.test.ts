import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPO, killAll, removeTmp, shortTmp, startDaemon, writeConfig } from "./helpers";

let dir: string;
beforeEach(async () => {
  dir = await shortTmp();
});
afterEach(async () => {
  await killAll();
  await removeTmp(dir);
});

describe("recalld command line", () => {
  it("--help and --version print to stdout and exit 0", async () => {
    const help = startDaemon(["--help"]);
    expect((await help.exited).code, help.stderr.join("\n")).toBe(0);
    expect(help.stdout.join("\n")).toContain("Usage: recalld");
    const version = startDaemon(["--version"]);
    expect((await version.exited).code, version.stderr.join("\n")).toBe(0);
    const pkg = JSON.parse(readFileSync(join(REPO, "apps/daemon/package.json"), "utf8")) as { version: string };
    expect(version.stdout).toEqual([`recalld ${pkg.version}`]);
  });

  it("a usage error exits 2 with the problem on stderr", async () => {
    const d = startDaemon(["--frobnicate"]);
    expect((await d.exited).code, d.stderr.join("\n")).toBe(2);
    expect(d.stderr.join("\n")).toMatch(/frobnicate/);
    expect(d.stdout).toEqual([]);
  });

  it("a bad config value exits 2 with the key and the file named", async () => {
    const cfg = await writeConfig(join(dir, "config.yaml"), { provider: "clowd", socket_path: join(dir, "m.sock") });
    const d = startDaemon(["--config", cfg]);
    expect((await d.exited).code, d.stderr.join("\n")).toBe(2);
    const err = d.stderr.join("\n");
    expect(err).toContain("memory.provider");
    expect(err).toContain("config.yaml");
    expect(d.stdout).toEqual([]);
  });

  it("an unknown key and a missing file exit 2 too", async () => {
    const cfg = await writeConfig(join(dir, "config.yaml"), { socket_pth: join(dir, "m.sock") });
    const unknown = startDaemon(["--config", cfg]);
    expect((await unknown.exited).code, unknown.stderr.join("\n")).toBe(2);
    expect(unknown.stderr.join("\n")).toContain("socket_pth");
    const missing = startDaemon(["--config", join(dir, "nope.yaml")]);
    expect((await missing.exited).code, missing.stderr.join("\n")).toBe(2);
    expect(missing.stderr.join("\n")).toContain("nope.yaml");
  });

  it("a control socket path over 107 bytes (a short socket name in a deep dir) exits 2 naming it", async () => {
    const deep = join(dir, "d".repeat(105 - Buffer.byteLength(dir) - 3));
    const sock = join(deep, "m"); // exactly within the limit: the config accepts it
    expect(Buffer.byteLength(sock)).toBeLessThanOrEqual(107);
    const cfg = await writeConfig(join(dir, "config.yaml"), { provider: "local", socket_path: sock, bundle_root: join(dir, "r") });
    const d = startDaemon(["--config", cfg]);
    expect((await d.exited).code, d.stderr.join("\n")).toBe(2);
    expect(d.stderr.join("\n")).toContain(join(deep, "daemon.sock"));
    expect(d.stderr.join("\n")).toContain("107");
  });
});
