import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { API_KEY, RECALLD, recall, sandbox, startTlm, stop, tlmBuild, transcript, WAIT, type Sandbox } from "./harness";

async function startRecalld(sb: Sandbox, env: Record<string, string> = {}, ready = true): Promise<void> {
  const child = execa(process.execPath, [RECALLD], { env: { ...sb.env, ...env }, extendEnv: false, stdio: ["ignore", "ignore", "pipe"], buffer: false, cleanup: true, reject: false });
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  child.on("close", () => transcript.push(err));
  sb.children.push(child);
  await vi.waitFor(async () => {
    const r = await recall(sb, ["status", "--json"], { env });
    const j = r.json as { source?: string; ready?: boolean } | undefined;
    expect(j?.source, `recalld answering (${err})`).toBe("daemon");
    if (ready) expect(j?.ready, `recalld ready (${err})`).toBe(true);
  }, WAIT);
}

describe("recall status, doctor and pull against real sidecars and a real recalld", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await sandbox();
  });
  afterEach(async () => {
    await sb.cleanup();
    expect(transcript.join("\n")).not.toContain(API_KEY);
  });

  it("says memory is not running, how to start it, and doctor lists what is missing (exit 3 / 1)", async () => {
    const s = await recall(sb, ["status"]);
    expect(s.code).toBe(3);
    expect(s.stdout).toContain("not running");
    expect(s.stdout).toContain("recalld");
    const j = await recall(sb, ["status", "--json"]);
    expect(j.json).toMatchObject({ source: "none", ready: false, reason: "not_running", installed_bundle: null });
    const d = await recall(sb, ["doctor", "--json"], { env: { RECALL_MEMORY_TLM_PATH: "/nonexistent/tlm", RECALL_MEMORY_API_KEY: API_KEY, RECALL_MEMORY_PROVIDER: "cloud" } });
    expect(d.code, d.stderr).toBe(1);
    const checks = (d.json as { ok: boolean; checks: { name: string; status: string; fix?: string }[] }).checks;
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by["tlm binary"]).toMatchObject({ status: "fail" });
    expect(by["tlm binary"]!.fix).toContain("memory.tlm_path");
    expect(by["bundle root"]).toMatchObject({ status: "fail" });
    expect(by["bundle root"]!.fix).toContain("recall pull");
    expect(by.cloud).toMatchObject({ status: "fail" });
    expect(by.cloud!.fix).toContain("memory.endpoint");
    expect(by.daemon).toMatchObject({ status: "fail" });
    const text = await recall(sb, ["doctor"], { env: { RECALL_MEMORY_PROVIDER: "local" } });
    expect(text.stdout, text.stderr).toMatch(/^✗ bundle root/m);
    expect(text.stdout).toMatch(/^✓ config/m);
    expect(text.stdout).toContain("fix:");
  });

  it("doctor judges the socket dir and bundle root by recall's one directory rule (the one recalld and tlm refuse to start on) and prints its fix", async () => {
    const run = join(sb.dir, "run");
    await mkdir(run, { recursive: true });
    await chmod(run, 0o777);
    const shared = join(sb.dir, "shared");
    await mkdir(shared);
    await chmod(shared, 0o777);
    const root = join(shared, "root");
    const d = await recall(sb, ["doctor", "--json"], { env: { RECALL_MEMORY_PROVIDER: "local", RECALL_MEMORY_BUNDLE_ROOT: root } });
    expect(d.code, d.stderr).toBe(1);
    const by = Object.fromEntries((d.json as { checks: { name: string; status: string; detail: string; fix?: string }[] }).checks.map((c) => [c.name, c]));
    expect(by["socket dir"]).toMatchObject({ status: "fail", detail: expect.stringContaining(`${run} is writable by group or others (mode 0777)`), fix: `chmod 700 ${run}` });
    // a bundle root that does not exist yet, under a parent others can write without the sticky bit: the parent is named
    expect(by["bundle root"]).toMatchObject({ status: "fail", detail: expect.stringContaining(`${shared} (a parent of ${root}) is writable by group or others (mode 0777) without the sticky bit`) });
    expect(by["bundle root"]!.fix).toContain(`chmod go-w ${shared}`);
    // a 0755 directory of ours passes (nobody else can write into it); a missing one under safe parents is a warning
    await chmod(run, 0o755);
    const ok = await recall(sb, ["doctor", "--json"], { env: { RECALL_MEMORY_PROVIDER: "local" } });
    const byOk = Object.fromEntries((ok.json as { checks: { name: string; status: string; detail: string }[] }).checks.map((c) => [c.name, c]));
    expect(byOk["socket dir"]).toMatchObject({ status: "ok", detail: expect.stringContaining(`${run} (0755)`) });
    expect(byOk["bundle root"]).toMatchObject({ status: "fail", detail: expect.stringContaining("does not exist yet") });
  });

  it("reports a sidecar without a bundle (exit 3 and the install command); pull in local mode explains install", async () => {
    await startTlm(sb);
    const q = await recall(sb, ["query", "anything"]);
    expect(q.code).toBe(3);
    expect(q.stderr).toContain("no bundle installed");
    expect(q.stderr).toContain("recall bundle install");
    const s = await recall(sb, ["status", "--json"]);
    expect(s.code).toBe(3);
    expect(s.json).toMatchObject({ source: "sidecar", ready: false, reason: "no_bundle" });
    const p = await recall(sb, ["pull"]);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain("recall bundle install");
  });

  it("reads recalld's /status, pulls through it, and doctor passes; the config cache follows config changes", async () => {
    await tlmBuild(sb, join(sb.dir, "pub"));
    expect((await recall(sb, ["bundle", "install", "pub"])).code).toBe(0);
    await startRecalld(sb);
    const s = await recall(sb, ["status"]);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/✓ memory ready/);
    expect(s.stdout).toMatch(/daemon\s+recalld/);
    const j = (await recall(sb, ["status", "--json"])).json as { daemon: { sidecar: { pid: number }; bundle: { bundle_id: string } } };
    expect(j.daemon.sidecar.pid).toBeGreaterThan(0);
    const p = await recall(sb, ["pull", "--json"]);
    expect(p.code).toBe(0);
    expect(p.json).toMatchObject({ via: "daemon", outcome: "reloaded" });
    const d = await recall(sb, ["doctor"]);
    expect(d.code, d.stdout).toBe(0);
    expect(d.stdout).toContain("all checks passed");
    expect((await recall(sb, ["query", "postgres"])).code).toBe(0);

    // the fast path's cached config must not outlive a config change
    const cfg = join(sb.dir, "config", "recall", "config.yaml");
    await mkdir(join(sb.dir, "config", "recall"), { recursive: true });
    await writeFile(cfg, "memory:\n  client_request_timeout: soon\n");
    const bad = await recall(sb, ["query", "postgres"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("memory.client_request_timeout");
    await writeFile(cfg, "memory:\n  provider: disabled\n");
    const off = await recall(sb, ["query", "postgres"]);
    expect(off.code).toBe(3);
    expect(off.stderr).toContain("memory is disabled");
    await writeFile(cfg, "memory:\n  provider: local\n");
    expect((await recall(sb, ["query", "postgres"])).code).toBe(0);
  });

  it("explains a degraded daemon: binary missing → set memory.tlm_path (exit 3); a held lock makes install busy (exit 3)", async () => {
    const env = { RECALL_MEMORY_TLM_PATH: "/nonexistent/tlm" };
    await startRecalld(sb, env, false);
    const s = await recall(sb, ["status"], { env });
    expect(s.code).toBe(3);
    expect(s.stdout).toContain("binary_missing");
    expect(s.stdout).toContain("memory.tlm_path");
    const j = await recall(sb, ["status", "--json"], { env });
    expect(j.json).toMatchObject({ source: "daemon", ready: false, reason: "binary_missing" });
    await stop(sb.children.pop()!);

    await tlmBuild(sb, join(sb.dir, "pub"));
    await mkdir(sb.root, { recursive: true });
    await chmod(sb.root, 0o700);
    await writeFile(join(sb.root, "bundle.lock"), JSON.stringify({ pid: process.pid, start: null, token: "held-by-test" }));
    const busy = await recall(sb, ["bundle", "install", "pub", "--json"]);
    expect(busy.code).toBe(3);
    expect(busy.json).toMatchObject({ outcome: "busy" });
  });
});
