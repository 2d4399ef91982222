import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { LineCounter, isMap, isScalar, parseDocument, type Node } from "yaml";
import { ConfigError } from "./errors";

/** One `section.key: value` read from a config file, with its line. */
export interface FileEntry {
  section: string;
  /** null for a top-level key. */
  name: string | null;
  value: unknown;
  line: number;
  /** Line of the section key. */
  sectionLine: number;
  /** True when the value is a mapping (sections must be). */
  isMapping: boolean;
}

/** Largest config file read (a config is a few hundred bytes; the YAML parser's cost grows with size). */
export const MAX_CONFIG_BYTES = 64 * 1024;
/** Deepest `[ ]` / `{ }` nesting accepted (the parser recurses on it). */
export const MAX_FLOW_DEPTH = 64;

/**
 * Reads at most {@link MAX_CONFIG_BYTES} of a regular file: opened
 * non-blocking (a FIFO cannot hang us), checked with fstat (a device such as
 * /dev/zero is refused), read with a cap (a file growing meanwhile is refused too).
 */
function readCapped(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    const tooBig = (size: string) =>
      new ConfigError("CONFIG_TOO_LARGE", `config file ${path} is ${size}; at most ${MAX_CONFIG_BYTES / 1024} KiB`, {
        source: path,
        issues: [{ source: path, expected: `at most ${MAX_CONFIG_BYTES} bytes`, found: size, message: `config file ${path} is ${size}` }],
      });
    if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTREG" });
    if (st.size > MAX_CONFIG_BYTES) throw tooBig(`${st.size} bytes`);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n > MAX_CONFIG_BYTES) throw tooBig(`more than ${MAX_CONFIG_BYTES} bytes`);
    }
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}

/** Deepest flow nesting in `text` (brackets outside quotes and comments) and the line where it was reached. */
function flowDepth(text: string): { depth: number; line: number } {
  let depth = 0;
  let max = 0;
  let maxLine = 1;
  let line = 1;
  let quote: string | null = null;
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n") {
      line++;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) comment = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth > max) {
        max = depth;
        maxLine = line;
      }
    } else if ((c === "]" || c === "}") && depth > 0) depth--;
  }
  return { depth: max, line: maxLine };
}

/** Outcome of {@link readConfigFile}: null when the file is absent and was not required. */
export type FileRead = { path: string; entries: FileEntry[] } | null;

function describeNode(n: unknown): string {
  if (Array.isArray(n)) return "a list";
  if (n === null) return "null";
  return typeof n === "object" ? "a mapping" : JSON.stringify(n);
}

/**
 * Reads and parses a YAML config file into entries with line numbers. A
 * missing file is `null` unless `required`; a missing required file, an
 * unreadable one or one that is not a regular file (`CONFIG_FILE_MISSING`),
 * one over {@link MAX_CONFIG_BYTES} (`CONFIG_TOO_LARGE`), or bad YAML
 * (`CONFIG_PARSE`: syntax, a duplicate key, nesting deeper than
 * {@link MAX_FLOW_DEPTH}, more than 100 alias expansions) throws a
 * `ConfigError` naming `file:line`.
 * YAML messages are cut at their first ": " so no source text (possibly a
 * secret) reaches the message.
 */
export function readConfigFile(path: string, required: boolean, via: string): FileRead {
  let text: string;
  try {
    text = readCapped(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return null;
    const what = code === "ENOENT" ? "does not exist" : code === "ENOTREG" ? "is not a regular file" : `cannot be read (${code ?? "error"})`;
    throw new ConfigError("CONFIG_FILE_MISSING", `config file ${path} (from ${via}) ${what}`, {
      source: path,
      issues: [{ source: path, expected: "a readable YAML file", found: what, message: `config file ${path} ${what}` }],
      cause: err,
    });
  }
  const depth = flowDepth(text);
  if (depth.depth > MAX_FLOW_DEPTH) {
    const source = `${path}:${depth.line}`;
    const message = `${source}: invalid YAML: nested deeper than ${MAX_FLOW_DEPTH} levels`;
    throw new ConfigError("CONFIG_PARSE", message, { source, issues: [{ source, expected: `at most ${MAX_FLOW_DEPTH} levels of [ ] and { }`, found: "deeper nesting", message }] });
  }
  const lc = new LineCounter();
  // uniqueKeys is checked below for the two levels a config has: the yaml package's own check is quadratic
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);
  const parseError = (line: number, col: number | undefined, what: string, cause?: unknown): never => {
    const source = `${path}:${line}`;
    const message = `${source}${col ? `:${col}` : ""}: invalid YAML: ${what}`;
    throw new ConfigError("CONFIG_PARSE", message, {
      source,
      issues: [{ source, expected: "valid YAML", found: what, message }],
      cause,
    });
  };
  const first = doc.errors[0];
  if (first) {
    const pos = lc.linePos(first.pos[0]);
    parseError(pos.line, pos.col, `${first.message.split(": ")[0]} (${first.code})`);
  }
  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) return { path, entries: [] };
  const toJS = (n: unknown, line: number): unknown => {
    if (n === null || n === undefined) return null;
    try {
      return (n as Node).toJS(doc, { maxAliasCount: 100 });
    } catch (err) {
      return parseError(line, undefined, "unresolved or excessive alias", err);
    }
  };
  if (!isMap(root)) {
    const line = lineOf(root.range?.[0]);
    const source = `${path}:${line}`;
    const found = describeNode(toJS(root, line));
    const message = `${source}: expected a mapping with memory: and cloud: sections; found ${found}`;
    throw new ConfigError("CONFIG_INVALID", message, { source, issues: [{ source, expected: "a mapping", found, message }] });
  }
  const entries: FileEntry[] = [];
  const seen = new Set<string>();
  const once = (key: string, shown: string, line: number) => {
    if (seen.has(key)) parseError(line, undefined, `duplicate key ${JSON.stringify(shown)} (DUPLICATE_KEY)`);
    seen.add(key);
  };
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const valueNode = pair.value as Node | null;
    const line = lineOf(keyNode?.range?.[0]);
    const section = String(isScalar(keyNode) ? keyNode.value : toJS(keyNode, line));
    once(section, section, line);
    if (isMap(valueNode) && valueNode.items.length > 0) {
      for (const inner of valueNode.items) {
        const k = inner.key as Node | null;
        const v = inner.value as Node | null;
        const kLine = lineOf(k?.range?.[0]);
        const name = String(isScalar(k) ? k.value : toJS(k, kLine));
        once(`${section}\u0000${name}`, name, kLine);
        entries.push({ section, name, value: toJS(v, kLine), line: kLine, sectionLine: line, isMapping: isMap(v) });
      }
    } else {
      entries.push({ section, name: null, value: toJS(valueNode, line), line, sectionLine: line, isMapping: false });
    }
  }
  return { path, entries };
}
