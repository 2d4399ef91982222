/**
 * FTS5's porter stemmer (SQLite's `fts5_porter.c`), step for step, for the
 * tokens of ASCII words: what `tokenize='porter unicode61'` makes of a word
 * made of `a`–`z` and `0`–`9` only (unicode61 passes such a word through
 * as one token). The query side stems here instead of asking an in-memory
 * FTS5 table (lexical-reader.ts, `QueryTokenizer`): ≈ 0.2 µs a word instead
 * of ≈ 5 µs, and no SQLite transaction per query that has a word not seen
 * before. `test`s check it token for token against FTS5 itself (the word
 * table's 60 000 words, the thesaurus, random strings). Anything else (other
 * scripts, diacritics, punctuation) still goes through FTS5.
 */

/** Longest token FTS5 stems (bytes); longer ones, and those under 3, pass through as they are. */
const MAX_TOKEN = 64;

/** A word {@link porterStem} stems exactly as FTS5 does: lower-case ASCII letters and digits. */
export const PORTER_ASCII = /^[a-z0-9]+$/;

const isVowel = (c: string | undefined, yIsVowel: boolean): boolean =>
  c === "a" || c === "e" || c === "i" || c === "o" || c === "u" || (yIsVowel && c === "y");

/** fts5PorterGobbleVC: the index after the first vowel-then-consonant run of `b[from…from+n)`, relative to `from`, plus one; 0 when none. */
function gobbleVC(b: string[], from: number, n: number, prevCons: boolean): number {
  let cons = prevCons;
  let i = 0;
  for (; i < n; i++) {
    cons = !isVowel(b[from + i], cons);
    if (!cons) break;
  }
  for (i++; i < n; i++) {
    cons = !isVowel(b[from + i], cons);
    if (cons) return i + 1;
  }
  return 0;
}

/** (m > 0) */
const mGt0 = (b: string[], n: number): boolean => gobbleVC(b, 0, n, false) !== 0;

/** (m > 1) */
function mGt1(b: string[], n: number): boolean {
  const k = gobbleVC(b, 0, n, false);
  return k !== 0 && gobbleVC(b, k, n - k, true) !== 0;
}

/** (m = 1) */
function mEq1(b: string[], n: number): boolean {
  const k = gobbleVC(b, 0, n, false);
  return k !== 0 && gobbleVC(b, k, n - k, true) === 0;
}

/** (*o): ends consonant-vowel-consonant, the last not w, x or y. */
function oStar(b: string[], n: number): boolean {
  const last = b[n - 1];
  if (last === "w" || last === "x" || last === "y") return false;
  let mask = 0;
  let cons = false;
  for (let i = 0; i < n; i++) {
    cons = !isVowel(b[i], cons);
    mask = ((mask << 1) + (cons ? 1 : 0)) | 0;
  }
  return (mask & 7) === 5;
}

/** (m > 1 and (*S or *T)) */
const mGt1ST = (b: string[], n: number): boolean => (b[n - 1] === "s" || b[n - 1] === "t") && mGt1(b, n);

/** (*v*) */
function hasVowel(b: string[], n: number): boolean {
  for (let i = 0; i < n; i++) if (isVowel(b[i], i > 0)) return true;
  return false;
}

function endsWith(b: string[], n: number, suffix: string): boolean {
  if (n <= suffix.length) return false;
  for (let i = 0; i < suffix.length; i++) if (b[n - suffix.length + i] !== suffix[i]) return false;
  return true;
}

/** One rule: suffix, condition on the stem before it, replacement. */
type Rule = readonly [suffix: string, cond: ((b: string[], n: number) => boolean) | null, out: string];

/**
 * The generated rule tables of fts5_porter.c, keyed by the token's second-to-last letter as its `switch` is; within a
 * key the first rule whose suffix matches decides, whether or not its condition holds.
 */
const STEP2: Record<string, readonly Rule[]> = {
  a: [["ational", mGt0, "ate"], ["tional", mGt0, "tion"]],
  c: [["enci", mGt0, "ence"], ["anci", mGt0, "ance"]],
  e: [["izer", mGt0, "ize"]],
  g: [["logi", mGt0, "log"]],
  l: [["bli", mGt0, "ble"], ["alli", mGt0, "al"], ["entli", mGt0, "ent"], ["eli", mGt0, "e"], ["ousli", mGt0, "ous"]],
  o: [["ization", mGt0, "ize"], ["ation", mGt0, "ate"], ["ator", mGt0, "ate"]],
  s: [["alism", mGt0, "al"], ["iveness", mGt0, "ive"], ["fulness", mGt0, "ful"], ["ousness", mGt0, "ous"]],
  t: [["aliti", mGt0, "al"], ["iviti", mGt0, "ive"], ["biliti", mGt0, "ble"]],
};
const STEP3: Record<string, readonly Rule[]> = {
  a: [["ical", mGt0, "ic"]],
  s: [["ness", mGt0, ""]],
  t: [["icate", mGt0, "ic"], ["iciti", mGt0, "ic"]],
  u: [["ful", mGt0, ""]],
  v: [["ative", mGt0, ""]],
  z: [["alize", mGt0, "al"]],
};
const STEP4: Record<string, readonly Rule[]> = {
  a: [["al", mGt1, ""]],
  c: [["ance", mGt1, ""], ["ence", mGt1, ""]],
  e: [["er", mGt1, ""]],
  i: [["ic", mGt1, ""]],
  l: [["able", mGt1, ""], ["ible", mGt1, ""]],
  n: [["ant", mGt1, ""], ["ement", mGt1, ""], ["ment", mGt1, ""], ["ent", mGt1, ""]],
  o: [["ion", mGt1ST, ""], ["ou", mGt1, ""]],
  s: [["ism", mGt1, ""]],
  t: [["ate", mGt1, ""], ["iti", mGt1, ""]],
  u: [["ous", mGt1, ""]],
  v: [["ive", mGt1, ""]],
  z: [["ize", mGt1, ""]],
};

/** Applies the first rule of `table` whose suffix the token ends with (if its condition holds); returns the new length. */
function apply(b: string[], n: number, table: Record<string, readonly Rule[]>): number {
  const rules = table[b[n - 2] ?? ""];
  if (!rules) return n;
  for (const [suffix, cond, out] of rules) {
    if (!endsWith(b, n, suffix)) continue;
    const stem = n - suffix.length;
    if (cond === null || cond(b, stem)) {
      for (let i = 0; i < out.length; i++) b[stem + i] = out[i]!;
      return stem + out.length;
    }
    return n;
  }
  return n;
}

function step1A(b: string[], n: number): number {
  if (b[n - 1] !== "s") return n;
  if (b[n - 2] === "e") {
    if ((n > 4 && b[n - 4] === "s" && b[n - 3] === "s") || (n > 3 && b[n - 3] === "i")) return n - 2;
    return n - 1;
  }
  return b[n - 2] !== "s" ? n - 1 : n;
}

/** fts5PorterStep1B: the new length, and whether "ed" or "ing" was removed. */
function step1B(b: string[], n: number): [number, boolean] {
  const key = b[n - 2];
  if (key === "e") {
    if (endsWith(b, n, "eed")) {
      if (mGt0(b, n - 3)) { b[n - 3] = "e"; b[n - 2] = "e"; return [n - 1, false]; }
      return [n, false];
    }
    if (endsWith(b, n, "ed")) return hasVowel(b, n - 2) ? [n - 2, true] : [n, false];
  } else if (key === "n" && endsWith(b, n, "ing")) {
    return hasVowel(b, n - 3) ? [n - 3, true] : [n, false];
  }
  return [n, false];
}

/** Step 1B2's suffixes, by their first letter (the token's second-to-last). */
const STEP1B2: Record<string, string> = { a: "at", b: "bl", i: "iz" };

/** fts5PorterStep1B2: "at" → "ate", "bl" → "ble", "iz" → "ize"; the new length, or -1 when none applied. */
function step1B2(b: string[], n: number): number {
  const key = b[n - 2];
  const suffix = key === undefined ? undefined : STEP1B2[key];
  if (suffix === undefined || !endsWith(b, n, suffix)) return -1;
  b[n] = "e";
  return n + 1;
}

/**
 * The FTS5 porter token of one lower-case ASCII word ({@link PORTER_ASCII}):
 * exactly what `porter unicode61` indexes for it.
 */
export function porterStem(word: string): string {
  if (word.length > MAX_TOKEN || word.length < 3) return word;
  const b = word.split("");
  let n = b.length;

  // Step 1.
  n = step1A(b, n);
  const [after1B, removed] = step1B(b, n);
  n = after1B;
  if (removed) {
    const grown = step1B2(b, n);
    if (grown >= 0) n = grown;
    else {
      const c = b[n - 1];
      if (!isVowel(c, false) && c !== "l" && c !== "s" && c !== "z" && c === b[n - 2]) n--;
      else if (mEq1(b, n) && oStar(b, n)) b[n++] = "e";
    }
  }

  // Step 1C.
  if (b[n - 1] === "y" && hasVowel(b, n - 1)) b[n - 1] = "i";

  // Steps 2 through 4.
  n = apply(b, n, STEP2);
  n = apply(b, n, STEP3);
  n = apply(b, n, STEP4);

  // Step 5a.
  if (b[n - 1] === "e" && (mGt1(b, n - 1) || (mEq1(b, n - 1) && !oStar(b, n - 1)))) n--;

  // Step 5b.
  if (n > 1 && b[n - 1] === "l" && b[n - 2] === "l" && mGt1(b, n - 1)) n--;

  return b.slice(0, n).join("");
}
