const split = (words: string): string[] => words.split(" ");

/**
 * The words a lexical query drops unless it holds nothing else (fts-query.ts
 * `tokenize`): too common to rank by. A subset of {@link FUNCTION_WORDS}
 * kept small, since each drop changes what bm25 sees ("up" in "sign up" stays).
 */
export const QUERY_STOPWORDS: ReadonlySet<string> = new Set(split(
  "a an and are as at be but by did do does for from had has have how i if in into is it its of on or our " +
    "so than that the their them then there these they this to was we were what when where which who why will with you your",
));

/**
 * English function words: pronouns, determiners, auxiliaries, prepositions,
 * conjunctions, question words and the commonest adverbs. A SIF mean
 * down-weights most of them, but once normalised a query made only of them
 * ("what is it", "how do we") points wherever those words point, and its
 * nearest memories are arbitrary. Such a query gets no vector
 * (`StaticWordEmbedder.embedQuery`); memories are embedded as before. Nor does
 * a function word start a joined compound (typo.ts: "do main" is not "domain").
 */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set([...split(
  "a about above after again against all am an and any are as at be because been before being below between both but by can " +
    "could did do does doing done down during each either else ever few for from further had has have having he her here hers " +
    "herself him himself his how i if in into is it its itself just let like may me might mine more most much must my myself " +
    "neither no nor not now of off often on once only or other ought our ours ourselves out over own perhaps please quite rather " +
    "really same shall she should so some such than that the their theirs them themselves then there these they this those " +
    "though through thus to too under until up upon us very was we were what whatever when whenever where wherever whether " +
    "which while who whoever whom whose why will with within without would yes yet you your yours yourself yourselves " +
    "s t d ll m re ve don doesn didn isn aren wasn weren hasn haven hadn wouldn shouldn couldn"), ...QUERY_STOPWORDS]);
