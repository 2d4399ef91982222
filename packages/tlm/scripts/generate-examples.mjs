#!/usr/bin/env node
// Deterministically turns scripts/examples-data.txt (kind|entities|text per line)
// into examples/memories.jsonl at the repository root. Run: node scripts/generate-examples.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const KINDS = { d: "decision", f: "fact", p: "preference", e: "episode", n: "note" };
const SOURCES = { decision: "adr", fact: "wiki/facts", preference: "team/handbook", episode: "postmortems", note: "wiki/runbooks" };
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

let seed = 20250106;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const lines = readFileSync(here("./examples-data.txt"), "utf8").split("\n").filter((l) => l.trim() !== "");
const start = Date.UTC(2025, 0, 6, 9, 0, 0);
const end = Date.UTC(2026, 10, 20, 17, 0, 0);
const out = lines.map((line, i) => {
  const [k, ents, ...rest] = line.split("|");
  const kind = KINDS[k];
  if (!kind) throw new Error(`line ${i + 1}: unknown kind ${k}`);
  const id = `mem-${String(i + 1).padStart(3, "0")}`;
  // Spread evenly over the period with a little jitter, at working hours.
  const base = start + ((end - start) * i) / lines.length;
  const when = new Date(base + Math.floor(rand() * 3 * 86_400_000));
  when.setUTCHours(8 + Math.floor(rand() * 9), Math.floor(rand() * 60), 0, 0);
  const rec = { id, text: rest.join("|").trim(), kind, entities: ents.split(",").filter(Boolean), created_at: when.toISOString().replace(".000Z", "Z") };
  if (rand() < 0.6) rec.source_ref = `${SOURCES[kind]}/${id}`;
  return JSON.stringify(rec);
});
writeFileSync(here("../../../examples/memories.jsonl"), out.join("\n") + "\n");
process.stdout.write(`wrote ${out.length} memories\n`);
