import { dirname } from "node:path";
import type * as z from "zod";
import type { RecallConfig } from "./config-types";
import { ConfigError, type ConfigIssue } from "./errors";
import { formatSource, type ConfigSource } from "./source";
import { CONFIG_KEYS, CONFIG_KEY_MAP, CONFIG_SECTIONS, type ConfigKeyInfo } from "./keys";
import { resolveConfigPath, type ConfigLocation, type Env } from "./paths";
import { REDACTED, redactUrl } from "./redact";
import { configSchema } from "./schema";
import { didYouMean } from "./suggest";
import { readConfigFile } from "./yaml-file";

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** YAML file to read; must exist. Default: `$RECALL_CONFIG`, else the nearest `.recall/config.yaml` from `cwd` upward, else the XDG default (may be absent). */
  file?: string;
  /** Environment (default `process.env`): `RECALL_MEMORY_*`, `RECALL_CLOUD_*`, `RECALL_CONFIG`, HOME and XDG dirs. */
  env?: Record<string, string | undefined>;
  /** Command-line values by key: `memory.socket_path`, `socket_path`, `socket-path` or `cloud.api_key`. `undefined` values are ignored. */
  flags?: Record<string, unknown>;
  /** Directory relative paths from env and flags resolve against (default `process.cwd()`). */
  cwd?: string;
}

interface Entry {
  value: unknown;
  source: ConfigSource;
  base: string;
}

const ENV_PREFIXES = CONFIG_SECTIONS.map((s) => `RECALL_${s.toUpperCase()}_`);
const ENV_NAMES = CONFIG_KEYS.map((k) => k.env);
const BOOLEAN_TEXT: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false, on: true, off: false };

/** Converts text from the environment or a command line into the key's type, when it parses; else leaves it for the schema to reject. */
function coerceText(k: ConfigKeyInfo, text: string): unknown {
  const t = text.trim();
  switch (k.type) {
    case "ratio":
    case "integer":
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : text;
    case "boolean":
      return BOOLEAN_TEXT[t.toLowerCase()] ?? text;
    case "key-list":
      if (t.startsWith("[")) {
        try {
          return JSON.parse(t) as unknown;
        } catch {
          return text;
        }
      }
      return t === "" ? [] : t.split(",").map((s) => s.trim()).filter((s) => s !== "");
    default:
      return text;
  }
}

function render(k: ConfigKeyInfo | undefined, value: unknown): string {
  if (k?.secret) return REDACTED;
  if (value === undefined) return "nothing";
  let s: string;
  if (typeof value === "string") s = JSON.stringify(k?.type === "url" ? redactUrl(value) : value);
  else if (typeof value === "number" || typeof value === "boolean" || value === null) s = String(value);
  else if (Array.isArray(value)) s = `a list ${JSON.stringify(value)}`;
  else if (typeof value === "object") s = `a mapping ${JSON.stringify(value)}`;
  else s = typeof value === "bigint" ? value.toString() : typeof value;
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function issue(key: string | undefined, source: string, expected: string, found: string, message?: string): ConfigIssue {
  return {
    ...(key === undefined ? {} : { key }),
    source,
    expected,
    found,
    message: message ?? `${key ?? "config"} (from ${source}): expected ${expected}; found ${found}`,
  };
}

function unknownKey(shown: string, source: string, suggestion: string | null): ConfigIssue {
  const hint = suggestion ? `; did you mean ${suggestion}?` : "";
  return {
    key: shown,
    source,
    expected: suggestion ? `a known key (did you mean ${suggestion}?)` : "a known key",
    found: shown,
    message: `unknown config key ${shown} (from ${source})${hint}`,
  };
}

function sectionKeys(section: string): string[] {
  return CONFIG_KEYS.filter((k) => k.section === section).map((k) => k.name);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * Loads the configuration (docs/config.md): defaults < YAML file < environment
 * (`RECALL_MEMORY_<KEY>`, `RECALL_CLOUD_<KEY>`; lists as comma-separated or
 * a JSON array; empty variables are ignored) < flags. Returns a deep-frozen
 * {@link RecallConfig}.
 *
 * Throws a `ConfigError`: `CONFIG_FILE_MISSING` when an explicit file (the
 * `file` option or `$RECALL_CONFIG`) is absent or unreadable (a missing
 * default file is fine); `CONFIG_PARSE` for bad YAML, naming its line;
 * `CONFIG_INVALID` for bad values and unknown keys (with a did-you-mean).
 * Its message lists every problem, each naming the key, the source
 * (`file.yaml:LINE`, the variable, `--flag` or `default`), what was expected
 * and what was found; secret values appear as `<redacted>`.
 *
 * Relative paths in the file resolve against the file's directory; those
 * from env and flags against `cwd`. A null value in the file means "unset".
 */
export function loadConfig(opts: LoadConfigOptions = {}): RecallConfig {
  return loadConfigWithSources(opts).config;
}

/** A loaded config and where each key's value came from. */
export interface ConfigWithSources {
  config: RecallConfig;
  /**
   * Per dotted key of `CONFIG_KEYS`: `default`, `file:LINE`, the env variable
   * name or `--flag`. For `memory.endpoint`/`memory.api_key` left empty and
   * filled by the fallback, the source of the `cloud.*` key is prefixed with
   * `cloud fallback: `.
   */
  sources: Readonly<Record<string, string>>;
  /** Which file was consulted and why (`--config`, `$RECALL_CONFIG`, project-local, default), and every file probed to decide. */
  location: ConfigLocation;
}

/**
 * {@link loadConfig}, plus the source of every key's effective value (for
 * `recall config` and `recall doctor`). Same precedence, same errors.
 */
export function loadConfigWithSources(opts: LoadConfigOptions = {}): ConfigWithSources {
  const env: Env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const merged = new Map<string, Entry>();
  const issues: ConfigIssue[] = [];

  // file
  const where = resolveConfigPath({ ...(opts.file === undefined ? {} : { file: opts.file }), env, cwd });
  const via = where.via === "RECALL_CONFIG" ? "$RECALL_CONFIG" : where.via === "argument" ? "--config" : where.via === "project" ? "the project's .recall/config.yaml" : "default location";
  const file = readConfigFile(where.path, where.explicit, via);
  if (file) {
    const base = dirname(file.path);
    const reported = new Set<string>();
    for (const e of file.entries) {
      const source = formatSource({ kind: "file", file: file.path, line: e.line });
      if (!(CONFIG_SECTIONS as readonly string[]).includes(e.section)) {
        if (reported.has(e.section)) continue;
        reported.add(e.section);
        const sectionSource = formatSource({ kind: "file", file: file.path, line: e.sectionLine });
        const asMemoryKey = CONFIG_KEY_MAP.has(`memory.${e.section}`) ? `memory.${e.section} (under a memory: section)` : null;
        issues.push(unknownKey(e.section, sectionSource, asMemoryKey ?? didYouMean(e.section, CONFIG_SECTIONS)));
        continue;
      }
      if (e.name === null) {
        const empty = e.value === null || (typeof e.value === "object" && !Array.isArray(e.value) && Object.keys(e.value).length === 0);
        if (!empty) issues.push(issue(e.section, source, `a mapping of ${e.section}.* keys`, render(undefined, e.value)));
        continue;
      }
      const key = `${e.section}.${e.name}`;
      const k = CONFIG_KEY_MAP.get(key);
      if (!k) {
        const s = didYouMean(e.name, sectionKeys(e.section));
        issues.push(unknownKey(key, source, s ? `${e.section}.${s}` : null));
        continue;
      }
      if (e.value === null) continue;
      merged.set(key, { value: e.value, source: { kind: "file", file: file.path, line: e.line }, base });
    }
  }

  // environment
  for (const [name, text] of Object.entries(env)) {
    if (text === undefined || !ENV_PREFIXES.some((p) => name.startsWith(p))) continue;
    const k = CONFIG_KEYS.find((c) => c.env === name);
    if (!k) {
      issues.push(unknownKey(name, "the environment", didYouMean(name, ENV_NAMES)));
      continue;
    }
    // empty = unset, except RECALL_MEMORY_PROVIDER="" which means disabled (seed parity)
    if (text === "" && k.key !== "memory.provider") continue;
    merged.set(k.key, { value: coerceText(k, text), source: { kind: "env", name }, base: cwd });
  }

  // flags
  for (const [given, value] of Object.entries(opts.flags ?? {})) {
    if (value === undefined) continue;
    const norm = given.replace(/^-+/, "").replace(/-/g, "_");
    const key = norm.includes(".") ? norm : `memory.${norm}`;
    const k = CONFIG_KEY_MAP.get(key);
    const flag = `--${given.replace(/^-+/, "")}`;
    if (!k) {
      const s = didYouMean(key, CONFIG_KEYS.map((c) => c.key));
      issues.push(unknownKey(flag, "the command line", s ? `--${s}` : null));
      continue;
    }
    merged.set(k.key, { value: typeof value === "string" ? coerceText(k, value) : value, source: { kind: "flag", name: flag }, base: cwd });
  }

  const raw: Record<string, Record<string, unknown>> = { memory: {}, cloud: {} };
  for (const [key, e] of merged) {
    const k = CONFIG_KEY_MAP.get(key) as ConfigKeyInfo;
    (raw[k.section] as Record<string, unknown>)[k.name] = e.value;
  }
  const schema = configSchema({ env, baseDir: (key) => merged.get(key)?.base ?? cwd });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) issues.push(...parsed.error.issues.map((i) => toIssue(i, raw, merged)));

  if (issues.length > 0 || !parsed.success) {
    const first = issues[0] as ConfigIssue;
    const message =
      issues.length === 1 ? `invalid config: ${first.message}` : `invalid config (${issues.length} problems):\n  ${issues.map((i) => i.message).join("\n  ")}`;
    throw new ConfigError("CONFIG_INVALID", message, {
      ...(first.key === undefined ? {} : { key: first.key }),
      ...(first.source === undefined ? {} : { source: first.source }),
      issues,
    });
  }
  const sources: Record<string, string> = {};
  for (const k of CONFIG_KEYS) sources[k.key] = formatSource(merged.get(k.key)?.source ?? { kind: "default" });
  for (const name of ["endpoint", "api_key"] as const) {
    if (!merged.has(`memory.${name}`) && parsed.data.cloud[name] !== "") sources[`memory.${name}`] = `cloud fallback: ${sources[`cloud.${name}`]}`;
  }
  return deepFreeze({ config: { configFile: file ? file.path : null, ...parsed.data }, sources, location: where });
}

function toIssue(i: z.core.$ZodIssue, raw: Record<string, Record<string, unknown>>, merged: Map<string, Entry>): ConfigIssue {
  const [section, name, ...rest] = i.path.map(String);
  if (name === undefined) return issue(section, "config", i.message, "");
  const key = `${section}.${name}`;
  const k = CONFIG_KEY_MAP.get(key);
  const source = formatSource(merged.get(key)?.source ?? { kind: "default" });
  let value: unknown = raw[section as string]?.[name];
  for (const p of rest) value = (value as Record<string, unknown> | undefined)?.[p];
  const params = (i as { params?: { found?: string } }).params;
  const found = k?.secret ? REDACTED : (params?.found ?? render(k, value));
  const shownKey = rest.length ? `${key}[${rest.join("][")}]` : key;
  return issue(key, source, i.message, found, `${shownKey} (from ${source}): expected ${i.message}; found ${found}`);
}
