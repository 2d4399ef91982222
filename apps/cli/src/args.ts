import { parseArgs as nodeParseArgs } from "node:util";
import { UsageError } from "./errors";

/** One `--option` a command accepts. */
export interface OptionSpec {
  type: "string" | "boolean";
  /** May be given more than once; the values are collected in order. */
  multiple?: boolean;
  /** One-letter alias, e.g. `h` for `-h`. */
  short?: string;
  /** Placeholder shown in help, e.g. `FILE`. */
  placeholder?: string;
  description: string;
}

/** One positional argument. */
export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
}

/** Everything the parser and the help renderer need to know about a command. */
export interface CommandSpec {
  /** `query`, `bundle keygen`, … */
  name: string;
  summary: string;
  /** Longer text shown under the usage line. */
  description?: string;
  positionals: PositionalSpec[];
  options: Record<string, OptionSpec>;
  examples: string[];
}

/** Parsed command line: option values by name and the positional arguments. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = Object.freeze({
  help: { type: "boolean", short: "h", description: "show this help and exit" },
  json: { type: "boolean", description: "print one JSON document on stdout instead of text" },
  config: { type: "string", placeholder: "FILE", description: "read the config from FILE (default $RECALL_CONFIG, then $XDG_CONFIG_HOME/recall/config.yaml)" },
  "no-color": { type: "boolean", description: "never colour the output (NO_COLOR is honoured too)" },
});

/** True when argv asks for help before any `--` terminator. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment), so
 * `qeury` is one edit from `query`. Small inputs only (option and command names).
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Parses `argv` (without the command words) against `spec` plus the global
 * options with `node:util` `parseArgs` (as `recalld` and `tlm` do): `--name
 * value`, `--name=value`, short aliases, `--` to end options. Its tokens are
 * then checked here so every error is a {@link UsageError} with a fix: an
 * unknown option (with a did-you-mean), a missing value, a value given to a
 * boolean, a repeated single option, a missing required argument, or an extra one.
 */
export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const options: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS, ...spec.options };
  const config: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const [name, o] of Object.entries(options)) config[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  const cmd = `recall ${spec.name}`;
  // strict: false so that unknown options and missing values come back as tokens we explain ourselves
  const { tokens } = nodeParseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const values: ParsedArgs["values"] = { __proto__: null } as unknown as ParsedArgs["values"];
  const positionals: string[] = [];
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]!;
    if (tok.kind === "positional") {
      positionals.push(tok.value);
      continue;
    }
    if (tok.kind === "option-terminator") continue;
    const o = Object.hasOwn(options, tok.name) ? options[tok.name] : undefined;
    if (!o) {
      if (!tok.rawName.startsWith("--")) throw new UsageError(`unknown option ${tok.rawName}`, `see ${cmd} --help`);
      const guess = closest(tok.name, Object.keys(options));
      throw new UsageError(`unknown option --${tok.name}`, guess ? `did you mean --${guess}? (see ${cmd} --help)` : `see ${cmd} --help`);
    }
    if (o.type === "boolean") {
      if (tok.value !== undefined) throw new UsageError(`--${tok.name} takes no value (got "${tok.value}")`);
      values[tok.name] = true;
      continue;
    }
    // a value that looks like an option is a forgotten value (`--limit --json`), unless given inline
    const missing = tok.value === undefined || (!tok.inlineValue && tok.value.startsWith("--") && tok.value.length > 2);
    if (missing) throw new UsageError(`--${tok.name} needs a value${o.placeholder ? ` (${o.placeholder})` : ""}`, `see ${cmd} --help`);
    const v = tok.value;
    if (o.multiple) {
      const arr = (values[tok.name] as string[] | undefined) ?? [];
      arr.push(v);
      values[tok.name] = arr;
    } else if (values[tok.name] !== undefined) {
      throw new UsageError(`--${tok.name} given twice`, `${cmd} accepts one --${tok.name}`);
    } else values[tok.name] = v;
  }

  const required = spec.positionals.filter((p) => p.required).length;
  if (positionals.length < required) {
    const missing = spec.positionals[positionals.length]!;
    throw new UsageError(`missing ${missing.name}`, `usage: ${usageLine(spec)}`);
  }
  if (positionals.length > spec.positionals.length) {
    const extra = positionals[spec.positionals.length]!;
    throw new UsageError(
      `unexpected argument "${extra}"`,
      spec.positionals.length ? `usage: ${usageLine(spec)} (quote text that has spaces)` : `usage: ${usageLine(spec)}`,
    );
  }
  return { values, positionals };
}

/** `recall query TEXT [options]` */
export function usageLine(spec: CommandSpec): string {
  const pos = spec.positionals.map((p) => (p.required ? p.name : `[${p.name}]`)).join(" ");
  return `recall ${spec.name}${pos ? ` ${pos}` : ""} [options]`;
}

/**
 * Reads an integer option. Absent → `undefined`; not an integer in
 * [min, max] → {@link UsageError} naming the option and what was found.
 */
export function intOption(values: ParsedArgs["values"], name: string, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const s = String(raw);
  if (!/^-?\d+$/.test(s)) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${s}")`);
  const n = Number(s);
  if (n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max} (got ${n})`);
  return n;
}

/** A string option's value, or `undefined`. */
export function strOption(values: ParsedArgs["values"], name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** A repeatable option's values (empty when absent). */
export function listOption(values: ParsedArgs["values"], name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}
