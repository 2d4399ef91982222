/** Most terms a query keeps; the rest are dropped (the query stays cheap). */
export const MAX_QUERY_TERMS = 32;

const STOPWORDS = new Set(
  ("a an and are as at be but by did do does for from had has have how i if in into is it its of on or our " +
    "so than that the their them then there these they this to was we were what when where which who why will with you your")
    .split(" "),
);

/**
 * Splits user text into lower-cased words (Unicode letters and digits, the
 * same split as FTS5's unicode61 tokenizer), de-duplicated, at most
 * {@link MAX_QUERY_TERMS}. Common English stop words are dropped unless the
 * text holds nothing else.
 */
export function tokenize(text: string): string[] {
  const words = [...new Set((text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []))];
  const content = words.filter((w) => !STOPWORDS.has(w));
  return (content.length > 0 ? content : words).slice(0, MAX_QUERY_TERMS);
}

/**
 * Turns user text into an FTS5 MATCH expression: every word double-quoted
 * (a phrase of one token, so no FTS syntax can be injected) and joined with
 * OR; bm25 then ranks memories matching more and rarer words first.
 * Returns `null` when no word is left (the query then has no results).
 */
export function toMatchExpression(text: string): string | null {
  const terms = tokenize(text);
  if (terms.length === 0) return null;
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(" OR ");
}
