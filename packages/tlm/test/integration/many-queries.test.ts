import { Agent } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { seededRandom } from "../../dist/index.js";
import { FC_SEED } from "@recall/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { query, serveExamples } from "./harness";

// Long-running shapes over a real socket: state a sidecar keeps between queries (token and term caches) must never
// leak into an answer. This found a 500 after ~10 000 distinct query words (the token cache was cleared under the query).
let served: Awaited<ReturnType<typeof serveExamples>>;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
beforeAll(async () => { served = await serveExamples(); });
afterAll(async () => { agent.destroy(); await served?.stop(); });

const corpusWords = [...new Set(readFileSync(fileURLToPath(new URL("../../../../examples/memories.jsonl", import.meta.url)), "utf8")
  .toLowerCase().match(/[a-z]{3,}/g) ?? [])];

describe("many queries through one tlm", () => {
  it("2 000 queries mixing 16 000 new words with the corpus's own words all answer 200 with well-formed results", async () => {
    const rand = seededRandom(FC_SEED);
    const letters = "abcdefghijklmnopqrstuvwxyz";
    const fresh = (): string => Array.from({ length: 6 + Math.floor(rand() * 6) }, () => letters[Math.floor(rand() * 26)]).join("");
    const failures: string[] = [];
    let withResults = 0;
    for (let i = 0; i < 2_000; i++) {
      const words = [...Array.from({ length: 8 }, fresh), ...Array.from({ length: 1 + (i % 4) }, () => corpusWords[Math.floor(rand() * corpusWords.length)]!)];
      // Shuffle so cached corpus words sit before and after the new ones.
      words.sort(() => rand() - 0.5);
      const a = await query(served.sock, { text: words.join(" "), limit: 5 }, agent);
      if (a.status !== 200) { failures.push(`query ${i} (FC_SEED=${FC_SEED}): ${a.status} ${a.text}`); if (failures.length > 3) break; continue; }
      const body = a.json() as { results: { id: string; score: number }[] };
      expect(Array.isArray(body.results)).toBe(true);
      if (body.results.length > 0) withResults++;
      for (const r of body.results) expect(Number.isFinite(r.score)).toBe(true);
    }
    expect(failures).toEqual([]);
    // Every query holds at least one corpus word, so most find something.
    expect(withResults).toBeGreaterThan(1_000);
  });
});
