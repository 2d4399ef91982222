import { readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as errors from "../errors";
import { SERVICE_ERROR_CODES, ServiceError, ServiceOptionsError } from "../errors";
import * as api from "../index";
import { resolveOptions } from "../options";
import { options } from "./fakes";

// One error scheme: ServiceError + a code from the exported catalogue, documented in the README
// (code → doc and doc → code, as fastify checks its errors.md).
const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "..");
const readme = join(here, "..", "..", "README.md");

async function documentedCodes(): Promise<{ cls: string; code: string }[]> {
  const text = await readFile(readme, "utf8");
  const start = text.indexOf("## Errors");
  expect(start).toBeGreaterThan(-1);
  const section = text.slice(start, text.indexOf("\n## ", start + 3));
  return section
    .split("\n")
    .filter((l) => /^\| `[A-Za-z]+Error`/.test(l))
    .map((l) => {
      const cells = l.split("|").map((c) => c.trim());
      return { cls: cells[1]!.replace(/`/g, "").split(" ")[0]!, code: cells[2]!.replace(/`/g, "") };
    });
}

async function codesUsedInSource(): Promise<Set<string>> {
  const used = new Set<string>();
  for (const f of await readdir(src)) {
    if (!f.endsWith(".ts") || f === "errors.ts") continue;
    const text = await readFile(join(src, f), "utf8");
    for (const m of text.matchAll(/"(SERVICE_[A-Z_]+)"/g)) used.add(m[1]!);
  }
  return used;
}

describe("error codes", () => {
  it("the README's Errors table lists exactly the catalogue's codes", async () => {
    const rows = await documentedCodes();
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(SERVICE_ERROR_CODES).sort());
    for (const r of rows) expect(["ServiceError", "ServiceOptionsError"]).toContain(r.cls);
  });

  it("every code the sources use is in the catalogue, and every catalogue code is used", async () => {
    const used = await codesUsedInSource();
    // SERVICE_INVALID_OPTIONS is set by ServiceOptionsError itself (in errors.ts)
    used.add(new ServiceOptionsError([]).code);
    expect([...used].sort()).toEqual(Object.keys(SERVICE_ERROR_CODES).sort());
  });

  it("errors.ts exports only errors (ServiceError and subclasses) and the catalogue", () => {
    for (const [name, value] of Object.entries(errors)) {
      if (name === "SERVICE_ERROR_CODES") continue;
      expect(typeof value, name).toBe("function");
      expect(value === ServiceError || (value as { prototype: unknown }).prototype instanceof ServiceError, name).toBe(true);
    }
    expect(api.SERVICE_ERROR_CODES).toBe(SERVICE_ERROR_CODES);
    expect(Object.isFrozen(SERVICE_ERROR_CODES)).toBe(true);
  });

  it("malformed options throw ServiceOptionsError with its catalogue code, naming fields and never values", () => {
    const secret = "sk-do-not-print-me-0123";
    const bad = { ...options(), provider: "nope", requestTimeoutMs: -1, puller: { ...options().puller, apiKey: secret, jitter: 7 } };
    let caught: unknown;
    try {
      resolveOptions(bad as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ServiceOptionsError);
    expect(caught).toBeInstanceOf(ServiceError);
    const e = caught as ServiceOptionsError;
    expect(e.code).toBe("SERVICE_INVALID_OPTIONS");
    expect(SERVICE_ERROR_CODES).toHaveProperty(e.code);
    expect(e.issues.join("\n")).toMatch(/provider/);
    expect(e.issues.join("\n")).toMatch(/requestTimeoutMs/);
    expect(e.issues.join("\n")).toMatch(/puller\.jitter/);
    expect(e.message).not.toContain(secret);
  });
});
