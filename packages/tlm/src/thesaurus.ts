import { readFileSync } from "node:fs";
import { assetPath } from "./assets";
import { FUNCTION_WORDS } from "./function-words";
import { words as splitWords } from "./fts-query";
import { nextTurn } from "./next-turn";

/**
 * Query expansion with a thesaurus of the words software teams use for the
 * same thing: "mail" and "email", "approve" and "sign off", "schema change"
 * and "migration", "perf" and "performance". A query that says one also
 * searches the others, at a fraction of their weight ({@link EXPANSION_WEIGHT}),
 * so a memory holding the words as typed still ranks first. The shipped list
 * (`assets/thesaurus.txt`) is one group per line, members separated by `|`,
 * each member one to {@link MAX_PHRASE_WORDS} words; `#` starts a comment.
 * Words are matched on their stems (FTS5's porter stemmer), so "approves" and
 * "approval" find the group of "approve".
 */

/** File name of the shipped thesaurus inside the package's `assets/`. */
export const THESAURUS_FILE = "thesaurus.txt";

/**
 * Weight of an expansion word's bm25 contribution, against 1 for a word of the
 * query, when the corpus holds the query word it stands for: a memory saying
 * the word as typed still ranks first. When the corpus holds none of that
 * query word's (or phrase's) words, its expansions stand in for it at full
 * weight, as a correction does.
 */
export const EXPANSION_WEIGHT = 0.3;

/** Lines, words or groups a warm-up handles between two turns of the event loop ({@link Thesaurus.build}). */
export const WARM_CHUNK = 64;

/** Longest member of a group, in words (query phrases up to this long are looked up). */
export const MAX_PHRASE_WORDS = 4;

/** Most words one query's expansion adds (and never past the query's term limit). */
export const MAX_EXPANSION_WORDS = 16;

/** One expansion: the query's `word` (or phrase) also searched as `with`. */
export interface Expansion { word: string; with: string[] }

/** Turns words into their stems (one array of tokens per word), as the lexical index stems them. */
export type Stemmer = (words: readonly string[]) => readonly (readonly string[])[];

/** A member: its text, its words and their stems. */
interface Member { text: string; words: string[]; stems: string[] }

/** A parsed thesaurus, looked up by the stems of a query's words and phrases. */
export class Thesaurus {
  private readonly groups: Member[][] = [];
  /** Stems of a member's words, space-joined → the groups it belongs to. */
  private readonly byKey = new Map<string, number[]>();

  /**
   * Parses `text` (the format of the module comment), stemming every member
   * with `stem`. Malformed members (punctuation other than `-`, longer than
   * {@link MAX_PHRASE_WORDS} words) and groups of fewer than two members are skipped.
   */
  constructor(text: string, stem: Stemmer) {
    const groups = parseGroups(text.split("\n"));
    // Every distinct word stemmed in one batch.
    this.index(groups, stemAll(distinctWords(groups), stem));
  }

  /**
   * The same thesaurus as the constructor's, built between turns of the event
   * loop (`turn`): lines parsed, words stemmed and groups indexed `chunk` at a
   * time, so a request arriving meanwhile waits for one chunk at most.
   */
  static async build(text: string, stem: Stemmer, turn: () => Promise<unknown>, chunk = WARM_CHUNK): Promise<Thesaurus> {
    const lines = text.split("\n");
    const groups: Member[][] = [];
    for (let at = 0; at < lines.length; at += chunk) {
      parseGroups(lines.slice(at, at + chunk), groups);
      await turn();
    }
    const all = distinctWords(groups);
    const stems = new Map<string, string>();
    for (let at = 0; at < all.length; at += chunk) {
      stemAll(all.slice(at, at + chunk), stem, stems);
      await turn();
    }
    const t = new Thesaurus("", stem);
    for (let at = 0; at < groups.length; at += chunk) {
      t.index(groups.slice(at, at + chunk), stems);
      await turn();
    }
    return t;
  }

  /** Adds `groups` (their members' words stemmed by `stems`) to the lookup. */
  private index(groups: readonly Member[][], stems: ReadonlyMap<string, string>): void {
    for (const members of groups) {
      const group = this.groups.push(members) - 1;
      for (const m of members) {
        m.stems = m.words.map((w) => stems.get(w) ?? w);
        const key = m.stems.join(" ");
        const list = this.byKey.get(key);
        if (!list) this.byKey.set(key, [group]);
        else if (!list.includes(group)) list.push(group);
      }
    }
  }

  /** Number of groups kept. */
  get size(): number { return this.groups.length; }

  /**
   * The expansions of a query: for each phrase of its words (longest first,
   * {@link MAX_PHRASE_WORDS} down to one word; a lone function word is never
   * looked up) found in a group, the other members' content words whose stems
   * neither the query nor an earlier expansion holds, at most `max` words in all. `words`: the query's
   * words in order, stop words kept; `stems`: the stem of each.
   */
  expand(words: readonly string[], stems: readonly string[], max: number = MAX_EXPANSION_WORDS): Expansion[] {
    const out: Expansion[] = [];
    if (max <= 0) return out;
    const held = new Set(stems);
    const added = new Set<string>();
    const covered = new Uint8Array(words.length);
    // A pasted text repeats its phrases: each phrase and each group is looked at once.
    const looked = new Set<string>();
    const done = new Set<number>();
    let left = max;
    for (let n = Math.min(MAX_PHRASE_WORDS, words.length); n >= 1 && left > 0; n--) {
      for (let i = 0; i + n <= words.length && left > 0; i++) {
        if (n === 1 && FUNCTION_WORDS.has(words[i]!)) continue;
        // A phrase inside a longer one already expanded adds nothing of its own ("on call" in "on call rota" is looked up once).
        let open = false;
        for (let j = i; j < i + n && !open; j++) open = covered[j] === 0;
        if (!open) continue;
        const key = n === 1 ? stems[i]! : stems.slice(i, i + n).join(" ");
        const groups = this.byKey.get(key);
        if (!groups) continue;
        covered.fill(1, i, i + n);
        if (looked.has(key)) continue;
        looked.add(key);
        const found: string[] = [];
        for (const g of groups) {
          if (done.has(g)) continue;
          done.add(g);
          for (const m of this.groups[g]!) {
            m.words.forEach((w, k) => {
              const stem = m.stems[k]!;
              if (left === 0 || FUNCTION_WORDS.has(w) || w.length < 2 || held.has(stem) || added.has(stem)) return;
              added.add(stem);
              found.push(w);
              left--;
            });
          }
        }
        if (found.length > 0) out.push({ word: words.slice(i, i + n).join(" "), with: found });
      }
    }
    return out;
  }
}

const MEMBER = /^[\p{L}\p{N}\- ]+$/u;
const ASCII_WORDS = /[a-z0-9]+/g;

/** The groups of a thesaurus text's `lines` (see {@link Thesaurus}'s constructor), not yet stemmed, appended to `into`. */
function parseGroups(lines: readonly string[], into: Member[][] = []): Member[][] {
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const members: Member[] = [];
    for (const m of line.split("|")) {
      const text = m.trim().toLowerCase().replace(/\s+/g, " ");
      if (!MEMBER.test(text)) continue;
      // The shipped list is ASCII: split it without the NFKC pass `words` makes (same words for ASCII text).
      const words = /^[\x20-\x7e]*$/.test(text) ? (text.match(ASCII_WORDS) ?? []) : splitWords(text);
      if (words.length === 0 || words.length > MAX_PHRASE_WORDS) continue;
      if (members.some((x) => x.text === text)) continue;
      members.push({ text, words, stems: [] });
    }
    if (members.length >= 2) into.push(members);
  }
  return into;
}

/** Every word of the groups' members, once each. */
function distinctWords(groups: readonly Member[][]): string[] {
  const seen = new Set<string>();
  for (const g of groups) for (const m of g) for (const w of m.words) seen.add(w);
  return [...seen];
}

/** The stem of each of `words` (tokens space-joined), added to `into`. */
function stemAll(words: readonly string[], stem: Stemmer, into = new Map<string, string>()): Map<string, string> {
  const tokens = stem(words);
  for (let i = 0; i < words.length; i++) {
    const t = tokens[i]!;
    into.set(words[i]!, t.length === 1 ? t[0]! : t.join(" "));
  }
  return into;
}

let shipped: Thesaurus | null | undefined;

/**
 * The shipped thesaurus (`assets/thesaurus.txt`), parsed on first use with
 * `stem`; null when the file cannot be read (queries are then not expanded).
 */
export function shippedThesaurus(stem: Stemmer): Thesaurus | null {
  return shipped !== undefined ? shipped : loadShipped(stem);
}

/**
 * {@link shippedThesaurus} without holding the event loop for the whole
 * parse ({@link Thesaurus.build}: a turn of the event loop between chunks).
 * The server runs it right after a bundle loads. Rejects with what `stem`
 * throws (nothing is kept).
 */
export async function warmShippedThesaurus(stem: Stemmer, chunk = WARM_CHUNK): Promise<Thesaurus | null> {
  if (shipped !== undefined) return shipped;
  let text: string;
  try {
    text = readFileSync(assetPath(THESAURUS_FILE), "utf8");
  } catch {
    return (shipped = null);
  }
  const built = await Thesaurus.build(text, stem, nextTurn, chunk);
  // A query may have parsed the list meanwhile (shippedThesaurus): the first one kept stays.
  return shipped !== undefined ? shipped : (shipped = built);
}

function loadShipped(stem: Stemmer): Thesaurus | null {
  let text: string;
  try {
    text = readFileSync(assetPath(THESAURUS_FILE), "utf8");
  } catch {
    return (shipped = null);
  }
  // A stemmer that fails (its database closed under a warm-up) propagates: nothing is kept, the next use parses again.
  shipped = new Thesaurus(text, stem);
  return shipped;
}
