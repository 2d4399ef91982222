import { readFileSync } from "node:fs";
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
 * unreadable one, or bad YAML throws a `ConfigError` naming `file:line`.
 * YAML messages are cut at their first ": " so no source text (possibly a
 * secret) reaches the message.
 */
export function readConfigFile(path: string, required: boolean, via: string): FileRead {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return null;
    const what = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "error"})`;
    throw new ConfigError("CONFIG_FILE_MISSING", `config file ${path} (from ${via}) ${what}`, {
      source: path,
      issues: [{ source: path, expected: "a readable YAML file", found: what, message: `config file ${path} ${what}` }],
      cause: err,
    });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
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
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const valueNode = pair.value as Node | null;
    const line = lineOf(keyNode?.range?.[0]);
    const section = String(isScalar(keyNode) ? keyNode.value : toJS(keyNode, line));
    if (isMap(valueNode) && valueNode.items.length > 0) {
      for (const inner of valueNode.items) {
        const k = inner.key as Node | null;
        const v = inner.value as Node | null;
        const kLine = lineOf(k?.range?.[0]);
        const name = String(isScalar(k) ? k.value : toJS(k, kLine));
        entries.push({ section, name, value: toJS(v, kLine), line: kLine, sectionLine: line, isMapping: isMap(v) });
      }
    } else {
      entries.push({ section, name: null, value: toJS(valueNode, line), line, sectionLine: line, isMapping: false });
    }
  }
  return { path, entries };
}
