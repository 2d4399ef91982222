import type * as z from "zod";
import { QueryIntent, type Health } from "./schemas";

/** Outcome of validating untrusted input against a protocol schema. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: z.core.$ZodIssue[]; message: string };

/**
 * Validates an untrusted query body. Never throws: invalid input returns the
 * zod issues (each names its field by `path`) and a one-line summary.
 */
export function parseQueryIntent(input: unknown): ParseResult<QueryIntent> {
  const r = QueryIntent.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const message = r.error.issues
    .map((i) => `${i.path.length ? i.path.join(".") : "(body)"}: ${i.message}`)
    .join("; ");
  return { ok: false, issues: r.error.issues, message };
}

/**
 * A sidecar is operational (started, answering) when it is ready or alive
 * without a bundle (`compatibility: "unknown"`): both can be supervised as up.
 */
export function isOperational(h: Health): boolean {
  return h.ready || h.compatibility === "unknown";
}
