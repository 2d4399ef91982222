import { QUERY_STOPWORDS } from "./function-words";
/** Most terms a query keeps; the rest are dropped (the query stays cheap). */
export const MAX_QUERY_TERMS = 32;


/**
 * Id of the segmentation `tlm bundle build` applies before FTS5 sees a memory, recorded as `meta.lex_segmenter`.
 * `unicode61` splits on spaces and punctuation only, so a run of Chinese or Japanese (written without spaces) is one
 * token, and a query for part of it matches nothing. Bundles carrying this id index those runs as characters and
 * overlapping character pairs (as Lucene's CJK analyzer does), and queries are split the same way.
 */
export const CJK_SEGMENTER = "cjk-bigram@1";

/** A character of Han, Hiragana, Katakana (the prolonged sound mark and iteration marks included) or Hangul. */
const CJK_CHAR = "[\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}\\p{scx=Hangul}]";

/** Runs of letters and digits of those scripts, written without word breaks. Their punctuation (。、「」) is not part of a run. */
const CJK_RUN = new RegExp(`(?:(?=[\\p{L}\\p{N}])${CJK_CHAR})+`, "gu");
const CJK_ANY = new RegExp(CJK_CHAR, "u");

/** True when `text` holds a CJK character (such words are segmented, never typo-corrected). */
export function hasCjk(text: string): boolean {
  return CJK_ANY.test(text);
}

/**
 * Splits every CJK run of `text` into separate words; the rest of the text is unchanged (a text without CJK comes back
 * as it is). `index`: each character and each overlapping pair (数据库 → 数 据 库 数据 据库), so a query for any part
 * of a run finds it. `query`: the pairs only (one character stays itself), so a query matches on pairs, which are far
 * more selective than single characters. Runs are also cut from letters of other scripts they touch (数据库migration).
 * The result is NFKC-normalised.
 */
export function segmentCjk(text: string, mode: "index" | "query"): string {
  // NFKC first, as `words` does: half-width katakana and full-width forms pair up the same way on both sides.
  return text.normalize("NFKC").replace(CJK_RUN, (run) => {
    const chars = Array.from(run);
    if (chars.length === 1) return ` ${run} `;
    const pairs: string[] = [];
    for (let i = 0; i + 1 < chars.length; i++) pairs.push(chars[i]! + chars[i + 1]!);
    return ` ${mode === "index" ? `${chars.join(" ")} ${pairs.join(" ")}` : pairs.join(" ")} `;
  });
}

/** Lower-cased words of a text, as FTS5's unicode61 tokenizer splits them (before stemming), stop words kept. */
export function words(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Splits user text into lower-cased words (Unicode letters and digits, the
 * same split as FTS5's unicode61 tokenizer), de-duplicated, at most
 * {@link MAX_QUERY_TERMS}. Common English stop words are dropped unless the
 * text holds nothing else.
 */
export function tokenize(text: string): string[] {
  const all = [...new Set(words(text))];
  const content = all.filter((w) => !QUERY_STOPWORDS.has(w));
  return (content.length > 0 ? content : all).slice(0, MAX_QUERY_TERMS);
}

/**
 * Turns user text into an FTS5 MATCH expression: every word double-quoted
 * (a phrase of one token, so no FTS syntax can be injected) and joined with
 * OR; bm25 then ranks memories matching more and rarer words first.
 * Returns `null` when no word is left (the query then has no results).
 */
export function toMatchExpression(text: string): string | null {
  const terms = tokenize(text);
  return terms.length === 0 ? null : orOf(terms);
}

const quote = (t: string) => `"${t.replace(/"/g, '""')}"`;
const orOf = (terms: string[]) => terms.map(quote).join(" OR ");

/** The OR of already tokenized words, each double-quoted (a one-token phrase: no FTS5 syntax gets through). */
export function toOrMatch(words: readonly string[]): string {
  return orOf([...words]);
}

/** A word is "common" when more memories than this hold it: max(500, 1 % of the memories). */
export function commonThreshold(count: number): number {
  return Math.max(500, Math.floor(count / 100));
}

/**
 * Plans the MATCH expressions of a query, tried in order until one yields
 * rows. With document frequencies (`df`, from the bundle's `term_df` table):
 * words held by more than {@link commonThreshold} memories add little to bm25
 * but make a query rank most of the index, so when the text has rarer words
 * only those are OR-ed; when every word is common the memories holding all of
 * them (AND) come first, then any of them (OR). Without `df`, or below the
 * threshold, it is the plain OR of every word. Empty when no word is left.
 */
export function planMatch(text: string, df?: (term: string) => number, count = 0): string[] {
  const terms = tokenize(text);
  if (terms.length === 0) return [];
  if (!df || count <= commonThreshold(count)) return [orOf(terms)];
  const limit = commonThreshold(count);
  const rare = terms.filter((t) => df(t) <= limit);
  if (rare.length > 0) return [orOf(rare)];
  return terms.length > 1 ? [terms.map(quote).join(" AND "), orOf(terms)] : [orOf(terms)];
}
