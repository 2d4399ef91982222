import path from "node:path";
import { buildBundle, readRecords } from "@recall/tlm";
import { EXAMPLES } from "./harness";

type Rec = Awaited<ReturnType<typeof readRecords>>[number];
let examples: Rec[] | undefined;

/**
 * Builds a publish dir for bundle `id`: the example memories plus a marker
 * memory naming the bundle, so a query can tell which bundle answered it and
 * that the answer came from that bundle whole. `extra` adds filler records
 * (to make a bundle larger).
 */
export async function buildMarkedBundle(outRoot: string, id: string, opts: { extra?: Rec[]; schemaVersion?: string } = {}) {
  examples ??= await readRecords(EXAMPLES);
  const marker: Rec = {
    id: `marker-${id}`,
    text: `zebracorn marker for bundle ${id}`,
    kind: "fact",
    entities: ["zebracorn"],
    created_at: "2026-11-26T08:00:00Z",
  };
  const outDir = path.join(outRoot, id);
  const r = await buildBundle({
    records: [...examples, marker, ...(opts.extra ?? [])],
    outDir,
    bundleId: id,
    ...(opts.schemaVersion ? { schemaVersion: opts.schemaVersion } : {}),
  });
  return { dir: outDir, manifest: r.manifest };
}

/** Filler records of incompressible-ish text, to grow a bundle to roughly `bytes`. */
export function filler(bytes: number, seed = 1): Rec[] {
  const out: Rec[] = [];
  let x = seed >>> 0;
  const word = () => {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return x.toString(36);
  };
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const text = Array.from({ length: 40 }, word).join(" ");
    size += text.length * 2; // text + its FTS index
    out.push({ id: `fill-${i}`, text, kind: "note", entities: [], created_at: "2026-01-01T00:00:00Z" });
  }
  return out;
}
