import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { didYouMean, editDistance, loadConfig, redact, redactUrl, tenantFingerprint } from "../index";

// a working directory with no .recall/config.yaml above it, so only the given file/env/flags count
const NO_PROJECT = "/";

const env = { HOME: "/home/ada", XDG_RUNTIME_DIR: "/run/user/1000" };

describe("tenantFingerprint", () => {
  it("is the first 16 hex of sha256('recall-tenant:' + key)", () => {
    const expected = createHash("sha256").update("recall-tenant:sk-live-123").digest("hex").slice(0, 16);
    expect(tenantFingerprint("sk-live-123")).toBe(expected);
    expect(tenantFingerprint("sk-live-123")).toMatch(/^[0-9a-f]{16}$/);
    expect(tenantFingerprint("a")).not.toBe(tenantFingerprint("b"));
  });
});

describe("redact", () => {
  it("replaces both API keys by their fingerprint and never contains the key", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 64 }).filter((s) => s.trim() === s && !/[\s,]/.test(s)), (key) => {
        const cfg = loadConfig({ cwd: NO_PROJECT, env: { ...env, RECALL_CLOUD_API_KEY: key, RECALL_CLOUD_ENDPOINT: "https://e.example" } });
        const out = redact(cfg);
        expect(out.memory.api_key).toBe(`fp:${tenantFingerprint(key)}`);
        expect(out.cloud.api_key).toBe(`fp:${tenantFingerprint(key)}`);
        expect(JSON.stringify(out)).not.toContain(JSON.stringify(key).slice(1, -1));
      }),
      { numRuns: 100 },
    );
  });

  it("keeps an empty key empty, keeps other values, and does not modify the input", () => {
    const cfg = loadConfig({ cwd: NO_PROJECT, env });
    const out = redact(cfg);
    expect(out.memory.api_key).toBe("");
    expect(out.memory.socket_path).toBe(cfg.memory.socket_path);
    expect(out.memory.bundle_pull_interval_ms).toBe(86_400_000);
    out.memory.socket_path = "/changed";
    expect(cfg.memory.socket_path).toBe("/run/user/1000/recall/memory.sock");
  });

  it("hides URL credentials in endpoints", () => {
    expect(redactUrl("https://user:pw@host.example/x")).toBe("https://<redacted>@host.example/x");
    expect(redactUrl("https://host.example/x@y")).toBe("https://host.example/x@y");
    const cfg = loadConfig({ cwd: NO_PROJECT, env: { ...env, RECALL_MEMORY_ENDPOINT: "https://u:hunter2@h.example" } });
    expect(JSON.stringify(redact(cfg))).not.toContain("hunter2");
  });
});

describe("didYouMean", () => {
  it("suggests the closest key within a few edits, else nothing", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(didYouMean("soket_path", ["socket_path", "bundle_root"])).toBe("socket_path");
    expect(didYouMean("bundle_retian", ["bundle_retain", "bundle_root"])).toBe("bundle_retain");
    expect(didYouMean("completely_else", ["socket_path", "bundle_root"])).toBeNull();
  });
});
