import * as z from "zod";
import type { CloudConfig, MemoryConfig } from "./config-types";
import { DURATION_EXPECTED, formatDuration, tryParseDuration } from "./duration";
import { CONFIG_KEYS, type ConfigKeyInfo } from "./keys";
import {
  CONTROL_SOCKET_NAME,
  SOCKET_PATH_MAX_BYTES,
  controlSocketPath,
  defaultBundleRoot,
  defaultSocketPath,
  expandPath,
  type Env,
} from "./paths";
import { SIZE_EXPECTED, tryParseSize } from "./size";

/** What the schema needs from the outside world: the environment and where relative paths start. */
export interface SchemaContext {
  readonly env: Env;
  /** Directory a relative path of `key` resolves against (the config file's directory, or the cwd). */
  readonly baseDir: (key: string) => string;
}

/** Output of {@link configSchema}: the config without `configFile`. */
export interface ParsedConfig {
  memory: MemoryConfig;
  cloud: CloudConfig;
}

const SEMVER_RANGE = /^[0-9A-Za-z.^~<>=|*+\- ]+$/;
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/** The words each key's error message uses for "expected". */
export function expectedOf(k: ConfigKeyInfo): string {
  const positive = (k.min ?? 0) > 0;
  switch (k.type) {
    case "enum":
      return `one of ${(k.values ?? []).join(", ")}`;
    case "url":
      return "an http:// or https:// URL (or empty)";
    case "secret":
      return "a string";
    case "path":
      return "a path (absolute, ~/… or $XDG_…/…)";
    case "command":
      return "a path or a command name (or empty)";
    case "duration":
      return `a ${positive ? "positive" : "non-negative"} ${DURATION_EXPECTED.replace(/^a /, "")}${k.max === undefined ? "" : `, at most ${formatDuration(k.max)}`}`;
    case "size":
      return `a ${positive ? "positive" : "non-negative"} ${SIZE_EXPECTED.replace(/^a /, "")}`;
    case "ratio":
      return `a number from ${k.min} to ${k.max}`;
    case "integer":
      return `a whole number from ${k.min} to ${k.max}`;
    case "boolean":
      return "true or false";
    case "key-list":
      return "a list of base64 raw Ed25519 public keys (32 bytes each)";
    case "semver-range":
      return "a semver range such as ^1.0.0";
  }
}

function fieldSchema(k: ConfigKeyInfo, ctx: SchemaContext): z.ZodType {
  const error = expectedOf(k);
  const fail = (c: z.core.$RefinementCtx, message = error, found?: string) => {
    c.addIssue({ code: "custom", message, ...(found === undefined ? {} : { params: { found } }) });
    return z.NEVER;
  };
  switch (k.type) {
    case "enum": {
      const e = z.enum(k.values as [string, ...string[]], { error });
      // seed parity: an empty memory.provider means disabled (the seed service did so)
      return (k.name === "provider" ? z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? "disabled" : v), e) : e).prefault(k.default as string);
    }
    case "url":
      return z
        .string({ error })
        .transform((s, c) => {
          const t = s.trim();
          if (t === "") return "";
          let u: URL;
          try {
            u = new URL(t);
          } catch {
            return fail(c);
          }
          return u.protocol === "http:" || u.protocol === "https:" ? t : fail(c);
        })
        .prefault("");
    case "secret":
      return z.string({ error }).prefault("");
    case "command":
      return z
        .string({ error })
        .transform((s, c) => {
          if (s === "") return "";
          // a bare name (no slash, no ~ or $) is a command looked up on PATH
          if (!/[/~$]/.test(s)) return s;
          const r = expandPath(s, ctx.env, ctx.baseDir(k.key));
          return r.ok ? r.path : fail(c, `${error}; ${r.reason}`);
        })
        .prefault("");
    case "path": {
      const computed = k.name === "socket_path" ? defaultSocketPath(ctx.env) : defaultBundleRoot(ctx.env);
      return z
        .string({ error })
        .transform((s, c) => {
          if (s.trim() === "") return fail(c);
          const r = expandPath(s, ctx.env, ctx.baseDir(k.key));
          if (!r.ok) return fail(c, `${error}; ${r.reason}`);
          if (k.name === "socket_path") {
            const bytes = Buffer.byteLength(r.path);
            if (bytes > SOCKET_PATH_MAX_BYTES) {
              return fail(c, `a socket path of at most ${SOCKET_PATH_MAX_BYTES} bytes`, `${JSON.stringify(r.path)} (${bytes} bytes)`);
            }
            const control = controlSocketPath(r.path);
            const cbytes = Buffer.byteLength(control);
            if (cbytes > SOCKET_PATH_MAX_BYTES) {
              return fail(
                c,
                `a socket directory short enough for ${CONTROL_SOCKET_NAME} (at most ${SOCKET_PATH_MAX_BYTES} bytes)`,
                `${JSON.stringify(control)} (${cbytes} bytes)`,
              );
            }
          }
          return r.path;
        })
        .prefault(computed);
    }
    case "duration":
      return z
        .union([z.string(), z.literal(0)], { error })
        .transform((v, c) => {
          const ms = typeof v === "number" ? 0 : tryParseDuration(v);
          if (ms === null || ms < (k.min ?? 0) || (k.max !== undefined && ms > k.max)) return fail(c);
          return ms;
        })
        .prefault(k.default as string);
    case "size":
      return z
        .union([z.string(), z.number()], { error })
        .transform((v, c) => {
          const n = typeof v === "number" ? (Number.isSafeInteger(v) && v >= 0 ? v : null) : tryParseSize(v);
          if (n === null || n < (k.min ?? 0) || (k.max !== undefined && n > k.max)) return fail(c);
          return n;
        })
        .prefault(k.default as string);
    case "ratio":
      return z
        .number({ error })
        .min(k.min ?? 0, { error })
        .max(k.max ?? 1, { error })
        .prefault(k.default as number);
    case "integer":
      return z
        .number({ error })
        .int({ error })
        .min(k.min ?? 0, { error })
        .max(k.max ?? Number.MAX_SAFE_INTEGER, { error })
        .prefault(k.default as number);
    case "boolean":
      return z.boolean({ error }).prefault(k.default as boolean);
    case "key-list": {
      const one = "a base64 raw Ed25519 public key (32 bytes)";
      return z
        .array(
          z
            .string({ error: one })
            .transform((s) => s.trim())
            .refine((s) => BASE64_32.test(s) && Buffer.from(s, "base64").length === 32, { error: one }),
          { error },
        )
        .prefault([]);
    }
    case "semver-range":
      return z
        .string({ error })
        .trim()
        .refine((s) => s.length > 0 && SEMVER_RANGE.test(s), { error })
        .prefault(k.default as string);
  }
}

function sectionSchema(section: "memory" | "cloud", ctx: SchemaContext) {
  const shape: Record<string, z.ZodType> = {};
  for (const k of CONFIG_KEYS) if (k.section === section) shape[k.name] = fieldSchema(k, ctx);
  return z.strictObject(shape).prefault({});
}

/**
 * The one zod schema of a recall config file (docs/config.md): every `memory.*` and
 * `cloud.*` key with its default, parsed into the loaded shape (durations to
 * `*_ms`, sizes to bytes, paths expanded and absolute, the socket path
 * limit checked, the `cloud.*` fallback applied to `memory.endpoint` and
 * `memory.api_key`). Unknown keys are rejected. Defaults that depend on the
 * environment (`socket_path`, `bundle_root`) come from `ctx.env`.
 */
export function configSchema(ctx: SchemaContext) {
  return z
    .strictObject({ memory: sectionSchema("memory", ctx), cloud: sectionSchema("cloud", ctx) })
    .transform((raw): ParsedConfig => {
      const m = raw.memory as Record<string, unknown>;
      const cloud = raw.cloud as unknown as CloudConfig;
      const memory: Record<string, unknown> = {};
      for (const k of CONFIG_KEYS) if (k.section === "memory") memory[k.output] = m[k.name];
      memory.endpoint = m.endpoint || cloud.endpoint;
      memory.api_key = m.api_key || cloud.api_key;
      return { memory: memory as unknown as MemoryConfig, cloud: { endpoint: cloud.endpoint, api_key: cloud.api_key } };
    });
}
