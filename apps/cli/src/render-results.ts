import type { Output } from "./output";
import { displayWidth, pad, safeText, truncate } from "./output";

/** The parts of a response envelope the human output shows. */
export interface EnvelopeLike {
  source: string;
  bundle_id: string | null;
  took_ms: number;
  truncated: boolean;
  evidence_quality: string;
  fallback_reason?: string;
  /** `hybrid`: words and meaning (vectors) fused; absent or `lexical`: words only. */
  retrieval?: string;
  vector_skipped_reason?: string;
  /** Query words no memory holds, searched as the corpus word one edit away. */
  corrections?: { word: string; to: string }[];
  /** Query words also searched, at lower weight, as other words for the same thing. */
  expansions?: { word: string; with: string[] }[];
  results: {
    id: string; text: string; kind: string; entities: string[]; created_at: string; source_ref?: string; score: number;
    matched?: { lexical_rank?: number; vector_rank?: number };
  }[];
}

/** What each known `vector_skipped_reason` means, in the footer's words; an unknown code is shown as sent. */
const SKIP_REASONS: ReadonlyMap<string, string> = new Map([
  ["bundle_has_no_vectors", "the bundle has no vectors"],
  ["embedder_mismatch", "the query vector is from another embedder"],
  ["dims_mismatch", "the query vector's length is not the bundle's"],
  ["no_query_embedder", "no embedder for this bundle's vectors"],
  ["embedder_failed", "the embedder failed"],
  ["embedder_timeout", "the embedder timed out"],
  ["budget_exhausted", "no time left to embed"],
  ["query_vector_empty", "no word the vectors know"],
  ["vectors_loading", "the vectors are still loading"],
]);

/** The footer's note on why a query ran on words only: `words only: <meaning> (<code>)`. */
export function skipLabel(reason: string): string {
  const meaning = SKIP_REASONS.get(reason);
  return meaning ? `words only: ${meaning} (${reason})` : `words only: ${safeText(reason)}`;
}

/** How a hybrid result was found, e.g. `words #2 + meaning #1` (ranks in the lexical and the vector list). */
export function matchedLabel(m: { lexical_rank?: number; vector_rank?: number } | undefined): string | null {
  if (!m) return null;
  const parts: string[] = [];
  if (Number.isInteger(m.lexical_rank)) parts.push(`words #${m.lexical_rank}`);
  if (Number.isInteger(m.vector_rank)) parts.push(`meaning #${m.vector_rank}`);
  return parts.length ? parts.join(" + ") : null;
}

/**
 * Every string of a result passes through `safeText` before layout: memory
 * text, kind, entities, source_ref, id, dates, bundle id and fallback reason
 * come from a bundle or a sidecar, never from us.
 *
 * Ranked results as aligned columns (rank, score, kind, date, text), with
 * entities and the source reference on a dimmed second line. On a TTY the
 * text is cut to the terminal width; in a pipe it is printed whole.
 */
export function renderResults(env: EnvelopeLike, out: Output, opts: { query: string; elapsedMs: number }): string[] {
  const s = out.style;
  const lines: string[] = [];
  if (env.results.length === 0) {
    lines.push(`no memories match ${safeText(JSON.stringify(opts.query))}`);
  } else {
    const cols = out.stdout.isTTY ? out.stdout.columns ?? 100 : Infinity;
    const rank = String(env.results.length).length;
    const scores = env.results.map((r) => r.score.toFixed(2));
    const scoreW = Math.max(...scores.map((x) => x.length));
    const kinds = env.results.map((r) => safeText(r.kind));
    const kindW = Math.max(...kinds.map((k) => displayWidth(k)));
    const dates = env.results.map((r) => safeText(r.created_at.slice(0, 10)));
    const dateW = Math.max(...dates.map((d) => displayWidth(d)));
    const indent = rank + 2 + scoreW + 2 + kindW + 2 + dateW + 2;
    const kindColour: Record<string, (x: string) => string> = { fact: s.cyan, decision: s.magenta, preference: s.yellow, episode: s.green, note: s.dim };
    env.results.forEach((r, i) => {
      const text = safeText(r.text.replace(/\s+/g, " ").trim());
      const room = Math.max(20, cols - indent);
      const shown = cols === Infinity ? text : truncate(text, room);
      const kc = (Object.hasOwn(kindColour, r.kind) ? kindColour[r.kind] : undefined) ?? ((x: string) => x);
      lines.push(
        `${s.bold(pad(String(i + 1), rank, true))}  ${s.dim(pad(scores[i]!, scoreW, true))}  ${kc(pad(kinds[i]!, kindW))}  ${pad(dates[i]!, dateW)}  ${shown}`,
      );
      const meta: string[] = [];
      if (r.entities.length) meta.push(r.entities.map(safeText).join(", "));
      if (r.source_ref) meta.push(safeText(r.source_ref));
      meta.push(safeText(r.id));
      const how = matchedLabel(r.matched);
      if (how) meta.push(how);
      const metaLine = meta.join("  ·  ");
      lines.push(`${" ".repeat(indent)}${s.dim(cols === Infinity ? metaLine : truncate(metaLine, Math.max(20, cols - indent)))}`);
    });
  }
  const foot = [
    `${env.results.length} result${env.results.length === 1 ? "" : "s"}${env.truncated ? " (truncated: raise --limit)" : ""}`,
    env.bundle_id ? `bundle ${safeText(env.bundle_id)}` : null,
    `${env.took_ms.toFixed(1)} ms in sidecar, ${opts.elapsedMs.toFixed(0)} ms total`,
    env.source === "fallback" ? `fallback: ${safeText(env.fallback_reason ?? "?")}` : null,
    env.retrieval === "hybrid" ? "hybrid: words + meaning" : null,
    env.vector_skipped_reason ? skipLabel(env.vector_skipped_reason) : null,
    env.corrections?.length ? `searched ${env.corrections.map((c) => `${safeText(c.word)} as ${safeText(c.to)}`).join(", ")}` : null,
    env.expansions?.length ? `also searched ${env.expansions.map((x) => `${safeText(x.word)} as ${x.with.map(safeText).join("/")}`).join(", ")}` : null,
  ].filter(Boolean);
  lines.push(s.dim(foot.join("  ·  ")));
  return lines;
}
