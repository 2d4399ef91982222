import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../load";

// Seed parity (issue 11): the seed service treated an empty provider as disabled.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cfg-empty-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("an empty memory.provider means disabled", () => {
  it.each(['""', "''", '"  "'])("in the file (provider: %s)", async (v) => {
    const file = join(dir, "c.yaml");
    await writeFile(file, `memory:\n  provider: ${v}\n`);
    expect(loadConfig({ file, cwd: dir, env: { HOME: dir } }).memory.provider).toBe("disabled");
  });

  it("in the environment (RECALL_MEMORY_PROVIDER=), over a file that says local", async () => {
    const file = join(dir, "c.yaml");
    await writeFile(file, "memory:\n  provider: local\n");
    expect(loadConfig({ file, cwd: dir, env: { HOME: dir, RECALL_MEMORY_PROVIDER: "" } }).memory.provider).toBe("disabled");
  });

  it("unset stays the default (local); other empty variables are still ignored; a bad value is still refused", () => {
    expect(loadConfig({ cwd: dir, env: { HOME: dir } }).memory.provider).toBe("local");
    expect(loadConfig({ cwd: dir, env: { HOME: dir, RECALL_MEMORY_ENDPOINT: "" } }).memory.endpoint).toBe("");
    expect(() => loadConfig({ cwd: dir, env: { HOME: dir, RECALL_MEMORY_PROVIDER: "off" } })).toThrow(/memory\.provider/);
  });
});
