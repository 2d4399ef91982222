import type Database from "better-sqlite3";
import { type WordLookup, knownWords } from "./embed/word-vectors";
import { hasCjk } from "./fts-query";
import { FUNCTION_WORDS } from "./function-words";

/**
 * Typo tolerance: a query word that no memory holds, and that is not a real
 * word (one of the 60 000 English words of the shipped word table: "stale" or
 * "clock" are left alone even when no memory says them), is replaced by the
 * corpus word one edit away (a letter missing, extra or wrong, or two
 * neighbours swapped), the most frequent one when several are. Candidates come from a
 * symmetric-delete index (SymSpell, Garbe 2012) that `tlm bundle build`
 * writes: every corpus word under itself and under each of its one-letter
 * deletions, so a lookup is one indexed statement over the query word's own
 * deletions, whatever the corpus size.
 */

/** Shortest query word (in letters) that is corrected: shorter words are too often other real words one edit away. */
export const TYPO_MIN_LENGTH = 5;
/** Longest word indexed or corrected (longer runs are identifiers, not words). */
export const TYPO_MAX_LENGTH = 24;
/** Most corpus words the build indexes (the most frequent first): bounds the table at ≈ 8 rows a word. */
export const TYPO_MAX_WORDS = 262_144;

/** Words made of letters only, in scripts written with spaces (CJK is segmented instead, see fts-query.ts). */
const LETTERS = /^\p{L}+$/u;

/** True when `word` (lower-cased) may be corrected, or be a correction (one letter shorter allowed). */
function eligible(word: string, min: number): boolean {
  const n = [...word].length;
  return n >= min && n <= TYPO_MAX_LENGTH && LETTERS.test(word) && !hasCjk(word);
}

/** `word` and each string with one of its letters removed, de-duplicated. */
export function deletions(word: string): string[] {
  const cs = [...word];
  const out = new Set<string>([word]);
  for (let i = 0; i < cs.length; i++) out.add(cs.slice(0, i).join("") + cs.slice(i + 1).join(""));
  return [...out];
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent swaps) between
 * `a` and `b` in code points, or `max + 1` as soon as it must exceed `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  const x = [...a];
  const y = [...b];
  if (Math.abs(x.length - y.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return Math.min(prev[y.length]!, max + 1);
}

/**
 * Build step: fills `lex_typos` (schema.ts) from `term_df`, the corpus's
 * lower-cased words with their document frequency. Words of
 * `TYPO_MIN_LENGTH - 1` to {@link TYPO_MAX_LENGTH} letters, at most
 * {@link TYPO_MAX_WORDS} of them (most frequent first).
 */
export function buildTypoIndex(db: Database.Database): void {
  const insert = db.prepare("INSERT OR IGNORE INTO lex_typos (del, word) VALUES (?, ?)");
  const terms = db.prepare("SELECT term FROM term_df WHERE length(term) BETWEEN ? AND ? ORDER BY df DESC, term").pluck()
    .all(TYPO_MIN_LENGTH - 1, TYPO_MAX_LENGTH) as string[];
  let kept = 0;
  for (const term of terms) {
    if (!eligible(term, TYPO_MIN_LENGTH - 1)) continue;
    for (const del of deletions(term)) insert.run(del, term);
    if (++kept >= TYPO_MAX_WORDS) break;
  }
}

/** True when the database carries the typo index (bundles built before it do not: their queries are not corrected). */
export function hasTypoIndex(db: Database.Database): boolean {
  return db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'lex_typos'").pluck().get() === 1;
}

/**
 * Shortest part of a split or joined compound: "oncall" is "on" + "call", but
 * a one-letter part would split almost any unknown word.
 */
export const COMPOUND_MIN_PART = 2;

/** Most words a query may have for its adjacent pairs to be tried as joined compounds (a few statements' worth). */
export const COMPOUND_MAX_QUERY_WORDS = 8;

/** A numeronym: a letter, the count of the letters it leaves out, a letter ("k8s", "i18n", "a11y"). */
const NUMERONYM = /^(\p{Ll})(\d{1,2})(\p{Ll})$/u;

/**
 * Fewest letters a numeronym must leave out: "e2e" (end to end), "b2b", "p2p"
 * and "k3s" are names, not abbreviations of a four- or five-letter word.
 */
export const NUMERONYM_MIN_INNER = 4;

/** Most words whose fix a corrector remembers (each costs a statement or two; queries repeat words, and tlm serve asks twice). */
export const FIX_CACHE_SIZE = 4096;

/**
 * Finds corrections in one database's `lex_typos` (see the module comment),
 * and the spacing variants of compounds in its `term_df` (Typesense's
 * split/join tokens): a word no memory holds split into two corpus words
 * ("oncall" → "on call"), and two query words whose join is a corpus word
 * ("back up" → also "backup").
 */
export class TypoCorrector {
  private readonly lookup: Database.Statement;
  private readonly known: () => Pick<WordLookup, "has">;
  private readonly corpusWords: Database.Statement;
  private readonly byShape: Database.Statement;
  private readonly fixes = new Map<string, string | null>();

  /** `known`: the real words never corrected (default: the shipped word table's, read on first need). */
  constructor(db: Database.Database, known: () => Pick<WordLookup, "has"> = () => knownWords()) {
    this.known = known;
    this.lookup = db.prepare(
      "SELECT DISTINCT t.word AS word, d.df AS df FROM lex_typos t JOIN term_df d ON d.term = t.word WHERE t.del IN (SELECT value FROM json_each(?))",
    );
    this.corpusWords = db.prepare("SELECT term, df FROM term_df WHERE term IN (SELECT value FROM json_each(?))").raw();
    // Words of one first letter are a range of the primary key; length and last letter filter that range.
    this.byShape = db.prepare(
      "SELECT term FROM term_df WHERE term >= @from AND term < @to AND length(term) = @length AND substr(term, -1) = @last ORDER BY df DESC, term LIMIT 1",
    );
  }

  /**
   * What replaces a word no memory holds: {@link correct}, else {@link split},
   * else {@link numeronym}; undefined when none applies. Remembered (the database never changes),
   * the oldest forgotten first past {@link FIX_CACHE_SIZE} words.
   */
  fix(word: string): string | undefined {
    const hit = this.fixes.get(word);
    if (hit !== undefined) return hit ?? undefined;
    const to = this.correct(word) ?? this.split(word) ?? this.numeronym(word);
    if (this.fixes.size >= FIX_CACHE_SIZE) this.fixes.delete(this.fixes.keys().next().value!);
    this.fixes.set(word, to ?? null);
    return to;
  }

  /**
   * The corpus word a numeronym abbreviates: first letter, the count of the
   * letters between, last letter ("k8s" → "kubernetes", "i18n" →
   * "internationalization", "a11y" → "accessibility"); of several, the one
   * most memories hold (then the first in order). Undefined when `word` is not
   * of that shape (at least {@link NUMERONYM_MIN_INNER} letters left out, at
   * most {@link TYPO_MAX_LENGTH} letters in all) or no corpus word fits.
   */
  numeronym(word: string): string | undefined {
    const m = NUMERONYM.exec(word);
    if (!m) return undefined;
    const inner = Number(m[2]);
    if (inner < NUMERONYM_MIN_INNER || inner + 2 > TYPO_MAX_LENGTH) return undefined;
    const row = this.byShape.get({ from: m[1], to: `${m[1]}\u{10FFFF}`, length: inner + 2, last: m[3] }) as { term: string } | undefined;
    return row?.term;
  }

  /** Document frequency of each of `words` that the corpus holds. */
  private dfOf(words: readonly string[]): Map<string, number> {
    return new Map(this.corpusWords.all(JSON.stringify(words)) as [string, number][]);
  }

  /**
   * `word` (lower-cased, as the query split it; no memory holds it) as two
   * corpus words, "a b": of the ways to cut it into two parts of at least
   * {@link COMPOUND_MIN_PART} letters that memories hold, the one whose rarer
   * part is most frequent (then the earlier cut). Undefined when there is none,
   * or when `word` is a real word (as for {@link correct}).
   */
  split(word: string): string | undefined {
    const cs = [...word];
    if (!eligible(word, 2 * COMPOUND_MIN_PART) || this.known().has(word)) return undefined;
    const cuts: [string, string][] = [];
    for (let i = COMPOUND_MIN_PART; i <= cs.length - COMPOUND_MIN_PART; i++) cuts.push([cs.slice(0, i).join(""), cs.slice(i).join("")]);
    const df = this.dfOf([...new Set(cuts.flat())]);
    let best: { cut: [string, string]; df: number } | undefined;
    for (const cut of cuts) {
      const a = df.get(cut[0]);
      const b = df.get(cut[1]);
      if (a === undefined || b === undefined) continue;
      if (!best || Math.min(a, b) > best.df) best = { cut, df: Math.min(a, b) };
    }
    return best && `${best.cut[0]} ${best.cut[1]}`;
  }

  /**
   * Corpus words that two adjacent query words make when written together
   * ("back up" → "backup", "web hook" → "webhook"), not already in the query:
   * the first word of a pair is never a function word ("do main" is not
   * "domain"). Only for queries of at most {@link COMPOUND_MAX_QUERY_WORDS}
   * words; one statement for all pairs.
   */
  joins(words: readonly string[]): string[] {
    if (words.length < 2 || words.length > COMPOUND_MAX_QUERY_WORDS) return [];
    const joined: string[] = [];
    for (let i = 0; i + 1 < words.length; i++) {
      const [a, b] = [words[i]!, words[i + 1]!];
      if (FUNCTION_WORDS.has(a) || [...a].length < COMPOUND_MIN_PART || [...b].length < COMPOUND_MIN_PART) continue;
      if (eligible(a + b, 2 * COMPOUND_MIN_PART) && !words.includes(a + b)) joined.push(a + b);
    }
    if (joined.length === 0) return [];
    const df = this.dfOf(joined);
    return [...new Set(joined.filter((w) => df.has(w)))];
  }

  /** The corpus word one edit from `word` (lower-cased, as the query split it), most frequent first; undefined when none. */
  correct(word: string): string | undefined {
    if (!eligible(word, TYPO_MIN_LENGTH) || this.known().has(word)) return undefined;
    let best: { word: string; df: number } | undefined;
    for (const c of this.lookup.all(JSON.stringify(deletions(word))) as { word: string; df: number }[]) {
      if (c.word === word || editDistance(word, c.word, 1) > 1) continue;
      if (!best || c.df > best.df || (c.df === best.df && c.word < best.word)) best = c;
    }
    return best?.word;
  }
}
