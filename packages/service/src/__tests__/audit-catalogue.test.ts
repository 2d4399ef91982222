import { readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// code → doc, as fastify checks its errors.md: every audit event the service emits (itself, or
// through @recall/puller on the same sink) is in the README's catalogue, and the catalogue names
// no event the code never emits.
const here = dirname(fileURLToPath(import.meta.url));
const serviceSrc = join(here, "..");
const pullerSrc = join(here, "..", "..", "..", "puller", "src");
const readme = join(here, "..", "..", "README.md");

/** The seed service's events (issue 11): each must carry the seed mark. */
const SEED_EVENTS = [
  "memory_reload_failed",
  "memory_bootstrap_pull_failed",
  "memory_bootstrap_pull_ok",
  "memory_tlm_missing",
  "memory_cloud_misconfigured",
  "memory_sidecar_degraded",
];

async function emittedBy(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const f of await readdir(dir)) {
    if (!f.endsWith(".ts")) continue;
    const text = await readFile(join(dir, f), "utf8");
    for (const m of text.matchAll(/"(memory_[a-z_]+)"/g)) names.add(m[1]!);
  }
  return names;
}

async function catalogue(): Promise<{ event: string; fields: string; seed: boolean }[]> {
  const text = await readFile(readme, "utf8");
  const section = text.slice(text.indexOf("## Audit events"), text.indexOf("\n## ", text.indexOf("## Audit events") + 3));
  return section
    .split("\n")
    .filter((l) => /^\| `memory_/.test(l))
    .map((l) => {
      const cells = l.split("|").map((c) => c.trim());
      return { event: cells[1]!.replace(/`/g, ""), fields: cells[2]!, seed: cells[4] === "seed" };
    });
}

describe("audit event catalogue (README)", () => {
  it("lists every event the service and the puller emit, and nothing else", async () => {
    const emitted = new Set([...(await emittedBy(serviceSrc)), ...(await emittedBy(pullerSrc))]);
    expect(emitted.size).toBeGreaterThanOrEqual(15);
    const documented = new Set((await catalogue()).map((r) => r.event));
    expect([...emitted].filter((e) => !documented.has(e))).toEqual([]);
    expect([...documented].filter((e) => !emitted.has(e))).toEqual([]);
  });

  it("marks exactly the seed service's events as seed", async () => {
    const rows = await catalogue();
    const marked = new Set(rows.filter((r) => r.seed).map((r) => r.event));
    expect([...marked].sort()).toEqual([...SEED_EVENTS].sort());
    // every row of a seed event is marked (memory_reload_failed has two situations)
    for (const r of rows) if (SEED_EVENTS.includes(r.event)) expect(r.seed).toBe(true);
  });

  it("documents the seed's fields for the seed's events", async () => {
    const rows = await catalogue();
    const fieldsOf = (e: string) => rows.filter((r) => r.event === e).map((r) => r.fields).join(" ");
    expect(fieldsOf("memory_reload_failed")).toContain("`reason`");
    expect(fieldsOf("memory_bootstrap_pull_failed")).toContain("`reason`");
    expect(fieldsOf("memory_tlm_missing")).toContain("`tlm_path_set`");
    expect(fieldsOf("memory_cloud_misconfigured")).toMatch(/`endpoint_resolved`.*`api_key_present`/);
  });
});
