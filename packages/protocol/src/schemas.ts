import * as z from "zod";

/** Wire protocol version spoken by every sidecar and client of this release. */
export const PROTOCOL_VERSION = 1 as const;

/** Memory kinds a sidecar can store and filter on. */
export const MEMORY_KINDS = ["fact", "decision", "preference", "episode", "note"] as const;

/** Limits of a {@link QueryIntent}, shared by validators, docs and tests. */
export const QUERY_LIMITS = Object.freeze({
  textMin: 1,
  textMax: 2000,
  entitiesMax: 32,
  limitMin: 1,
  limitMax: 100,
  limitDefault: 10,
  budgetMsMin: 1,
  budgetMsMax: 5000,
  vectorDimsMax: 4096,
  embedderIdMax: 128,
});

/** A memory kind. */
export const MemoryKind = z.enum(MEMORY_KINDS);
export type MemoryKind = z.infer<typeof MemoryKind>;

const isoDateTime = z.iso.datetime({ offset: true, local: false }).or(z.iso.date());

/**
 * A query sent to `POST /query`. Unknown fields are rejected so that a typo
 * (`kind` for `kinds`) is a 400, not a silently ignored filter.
 */
export const QueryIntent = z
  .strictObject({
    text: z.string().min(QUERY_LIMITS.textMin).max(QUERY_LIMITS.textMax),
    kinds: z.array(MemoryKind).min(1).max(MEMORY_KINDS.length).optional(),
    entities: z.array(z.string().min(1).max(200)).max(QUERY_LIMITS.entitiesMax).optional(),
    since: isoDateTime.optional(),
    until: isoDateTime.optional(),
    limit: z.number().int().min(QUERY_LIMITS.limitMin).max(QUERY_LIMITS.limitMax).optional(),
    budget_ms: z.number().int().min(QUERY_LIMITS.budgetMsMin).max(QUERY_LIMITS.budgetMsMax).optional(),
    /** The query's own embedding; used only when `embedder` is the one that made the bundle's vectors. */
    vector: z
      .strictObject({
        embedder: z.string().min(1).max(QUERY_LIMITS.embedderIdMax),
        values: z.array(z.number().finite()).min(1).max(QUERY_LIMITS.vectorDimsMax),
      })
      .optional(),
  });
export type QueryIntent = z.infer<typeof QueryIntent>;

/** One memory returned by a query. */
export const MemoryResult = z.object({
  id: z.string(),
  text: z.string(),
  kind: z.string(),
  entities: z.array(z.string()),
  created_at: z.string(),
  source_ref: z.string().optional(),
  score: z.number(),
  /** How a hybrid query found it: 1-based ranks in the lexical and the vector list (absent: not in that list). */
  matched: z
    .object({ lexical_rank: z.number().int().positive().optional(), vector_rank: z.number().int().positive().optional() })
    .optional(),
});
export type MemoryResult = z.infer<typeof MemoryResult>;

/** The answer to a query, from the sidecar or from a caller's fallback. */
export const ResponseEnvelope = z.object({
  source: z.enum(["sidecar", "fallback"]),
  bundle_id: z.string().nullable(),
  took_ms: z.number().nonnegative(),
  truncated: z.boolean(),
  evidence_quality: z.enum(["indexed", "text_search"]),
  fallback_reason: z.string().optional(),
  /** `hybrid`: lexical and vector rankings fused (scores are fusion scores); absent or `lexical`: bm25 only. */
  retrieval: z.enum(["lexical", "hybrid"]).optional(),
  /** Why a query that could have been hybrid was lexical only (e.g. `embedder_mismatch`, `embedder_failed`). */
  vector_skipped_reason: z.string().optional(),
  /** Query words no memory holds that were searched as the corpus word one edit away (a typo): `word` → `to`. */
  corrections: z.array(z.object({ word: z.string(), to: z.string() })).optional(),
  /** Query words (or phrases) also searched, at a fraction of their weight, as other words for the same thing (`mail` → `email`). */
  expansions: z.array(z.object({ word: z.string(), with: z.array(z.string()) })).optional(),
  /** Conditions the caller should know about, e.g. `"bundle_expired"` (the bundle is served past its `expires_at`). */
  warnings: z.array(z.string()).optional(),
  results: z.array(MemoryResult),
});
export type ResponseEnvelope = z.infer<typeof ResponseEnvelope>;

/** Why a sidecar that is alive cannot serve its bundle. */
export const HealthSubCode = z.enum(["no_manifest", "version_out_of_range", "corrupt"]);
export type HealthSubCode = z.infer<typeof HealthSubCode>;

/** `GET /health`: always 200 while the sidecar process is alive. */
export const Health = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  ready: z.boolean(),
  compatibility: z.enum(["compatible", "incompatible", "unknown"]),
  bundle_id: z.string().nullable(),
  schema_version: z.string().nullable(),
  supported_schema: z.string(),
  pid: z.number().int(),
  uptime_s: z.number().nonnegative(),
  error: z
    .object({ code: z.string(), sub_code: HealthSubCode.optional(), message: z.string() })
    .optional(),
  /** The served bundle's `expires_at` (null: it has none). Optional: older sidecars omit it. */
  expires_at: z.string().nullable().optional(),
  /** True while the served bundle is past its `expires_at` (it is still served, with a warning). */
  expired: z.boolean().optional(),
});
export type Health = z.infer<typeof Health>;

/** Body of every non-2xx answer. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    sub_code: z.string().optional(),
    issues: z.array(z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** `POST /bundle/reload` success body. */
export const ReloadResult = z.object({
  bundle_id: z.string().nullable(),
  changed: z.boolean(),
});
export type ReloadResult = z.infer<typeof ReloadResult>;

/** How a client call ended; every expected failure maps to one of these. */
export const ErrorClass = z.enum(["ok", "unavailable", "timeout", "bad_request", "incompatible", "busy", "internal"]);
export type ErrorClass = z.infer<typeof ErrorClass>;

/** Stable error codes a sidecar puts in {@link ErrorBody}. */
export const ERROR_CODES = Object.freeze({
  badRequest: "bad_request",
  noBundle: "no_bundle",
  incompatibleBundle: "incompatible_bundle",
  reloadInProgress: "reload_in_progress",
  notFound: "not_found",
  methodNotAllowed: "method_not_allowed",
  payloadTooLarge: "payload_too_large",
  internal: "internal",
} as const);
