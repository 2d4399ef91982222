import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, recall, sandbox, transcript, type Sandbox } from "./harness";

const COMMANDS = ["query", "status", "pull", "doctor", "config", "bundle keygen", "bundle pack", "bundle sign", "bundle verify", "bundle install", "bundle serve"];

describe("recall: usage, help, config errors, exit codes", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await sandbox({ RECALL_MEMORY_API_KEY: API_KEY });
  });
  afterAll(async () => {
    await sb.cleanup();
    expect(transcript.join("\n")).not.toContain(API_KEY);
  });

  it("prints --help for every command with usage, options and exit codes (exit 0)", async () => {
    const runs = await Promise.all(COMMANDS.map((c) => recall(sb, [...c.split(" "), "--help"])));
    runs.forEach((r, i) => {
      expect(r.code, COMMANDS[i]).toBe(0);
      expect(r.stdout).toContain(`Usage: recall ${COMMANDS[i]}`);
      expect(r.stdout).toContain("--json");
      expect(r.stdout).toContain("--config FILE");
      expect(r.stdout).toContain("Exit codes: 0 ok, 1 error, 2 usage or bad config, 3 memory unavailable");
      expect(r.stdout.includes("\u001b[")).toBe(false); // NO_COLOR
    });
    const top = await recall(sb, ["--help"]);
    expect(top.code).toBe(0);
    for (const c of ["query", "status", "pull", "bundle <command>", "doctor", "config"]) expect(top.stdout).toContain(c);
    expect((await recall(sb, ["help", "query"])).stdout).toContain("Usage: recall query TEXT");
    expect((await recall(sb, ["bundle", "--help"])).stdout).toContain("keygen");
    const forced = await recall(sb, ["query", "--help"], { env: { FORCE_COLOR: "1", NO_COLOR: "" } });
    expect(forced.stdout.includes("\u001b[1m")).toBe(true);
    expect((await recall(sb, ["query", "--help", "--no-color"], { env: { FORCE_COLOR: "1", NO_COLOR: "" } })).stdout.includes("\u001b[")).toBe(false);
  });

  it("exits 2 on usage errors, with a did-you-mean, as text or as --json", async () => {
    const none = await recall(sb, []);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain("Usage: recall <command>");
    const typo = await recall(sb, ["stauts"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown command "stauts"');
    expect(typo.stderr).toContain("recall status");
    const opt = await recall(sb, ["query", "x", "--limt", "3", "--json"]);
    expect(opt.code).toBe(2);
    expect(opt.json).toMatchObject({ error: { code: "USAGE", message: "unknown option --limt", exit_code: 2 } });
    expect((opt.json as { error: { hint: string } }).error.hint).toContain("--limit");
    expect((await recall(sb, ["query"])).code).toBe(2);
    expect((await recall(sb, ["query", "x", "--kind", "gossip"])).stderr).toContain("fact, decision, preference, episode, note");
    expect((await recall(sb, ["bundle", "serve", sb.dir])).stderr).toContain("--port is required");
    expect((await recall(sb, ["bundle", "serve", sb.dir, "--port", "0", "--api-key-env", "NOPE_UNSET"])).code).toBe(2);
  });

  it("turns a bad config into the ConfigError message and exit 2, for every command that reads it", async () => {
    const env = { RECALL_MEMORY_PROVIDER: "clod" };
    for (const args of [["query", "x"], ["status"], ["pull"], ["config"], ["bundle", "install", sb.dir], ["bundle", "verify", sb.dir]]) {
      const r = await recall(sb, args, { env });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("memory.provider");
      expect(r.stderr).toContain("RECALL_MEMORY_PROVIDER");
    }
    const j = await recall(sb, ["status", "--json"], { env });
    expect(j.json).toMatchObject({ error: { code: "CONFIG_INVALID", exit_code: 2 } });
    const doc = await recall(sb, ["doctor"], { env });
    expect(doc.code).toBe(1);
    expect(doc.stdout).toMatch(/✗ config .*memory\.provider/);

    const file = join(sb.dir, "bad.yaml");
    await writeFile(file, "memory:\n  provider: local\n  sokcet_path: /tmp/x.sock\n");
    const y = await recall(sb, ["query", "hello", "--config", file]);
    expect(y.code).toBe(2);
    expect(y.stderr).toContain(`${file}:3`);
    expect(y.stderr).toContain("memory.socket_path");
    const missing = await recall(sb, ["config", "--config", join(sb.dir, "nope.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("does not exist");
  });

  it("shows the effective config with sources and the key's fingerprint only", async () => {
    const file = join(sb.dir, "ok.yaml");
    await writeFile(file, "memory:\n  provider: cloud\n  endpoint: https://memory.example.com\n  bundle_retain: 5\n");
    const r = await recall(sb, ["config", "--config", file, "--json"]);
    expect(r.code).toBe(0);
    const c = r.json as { config_file: string; memory: Record<string, unknown>; sources: Record<string, string> };
    expect(c.config_file).toBe(file);
    expect(c.memory.provider).toBe("cloud");
    expect(c.memory.api_key).toMatch(/^fp:[0-9a-f]{16}$/);
    expect(c.sources["memory.provider"]).toBe(`${file}:2`);
    expect(c.sources["memory.api_key"]).toBe("RECALL_MEMORY_API_KEY");
    expect(c.sources["memory.bundle_pull_interval"]).toBe("default");
    const text = await recall(sb, ["config", "--config", file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`# ${file}:4\n`);
    expect(text.stdout).toMatch(/bundle_retain:\s+5\s+# \S+ok\.yaml:4\n/);
    expect(text.stdout).toMatch(/api_key:\s+fp:[0-9a-f]{16}\s+# RECALL_MEMORY_API_KEY/);
    expect((await recall(sb, ["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
