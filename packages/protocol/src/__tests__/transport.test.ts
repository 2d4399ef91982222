import { describe, expect, it } from "vitest";
import { SOCKET_PATH_MAX_BYTES, socketPathFits, tenantFingerprint } from "../index";

describe("tenantFingerprint", () => {
  // vectors computed outside Node: printf 'recall-tenant:%s' "$key" | sha256sum | cut -c1-16
  it.each([
    ["", "6d68d2a0d410ed93"],
    ["sk-test-123", "efb7f859570dfaed"],
    ["ключ", "c6ef14c2142a0b0c"],
  ])("fingerprints %j as %s", (key, fp) => {
    expect(tenantFingerprint(key)).toBe(fp);
  });

  it("is 16 lowercase hex chars and never contains the key", () => {
    for (const key of ["sk-live-x", "sk-live-0123456789abcdef", "x".repeat(4096)]) {
      const fp = tenantFingerprint(key);
      expect(fp).toMatch(/^[0-9a-f]{16}$/);
      expect(fp.includes(key)).toBe(false);
    }
    expect(tenantFingerprint("a")).not.toBe(tenantFingerprint("b"));
  });
});

describe("socket path limit", () => {
  it("is 107 bytes, counted in UTF-8 bytes rather than characters", () => {
    expect(SOCKET_PATH_MAX_BYTES).toBe(107);
    expect(socketPathFits("/".repeat(107))).toBe(true);
    expect(socketPathFits("/".repeat(108))).toBe(false);
    // 54 two-byte characters = 108 bytes, only 54 characters
    expect(socketPathFits("é".repeat(54))).toBe(false);
    expect(socketPathFits("é".repeat(53))).toBe(true);
  });
});
