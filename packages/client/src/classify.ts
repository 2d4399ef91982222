import { classifyStatus, classifyTransportError, failure, isConnectionClosed, type BodyCheck } from "./outcome";
import type { ClientResult } from "./types";

export { classifyTransportError, failure, isConnectionClosed };

/** The part of a zod schema the client uses (structural, so no zod edge is needed). */
export interface ResponseSchema<T> {
  safeParse(input: unknown):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/** A {@link BodyCheck} from a zod-like schema: the failing paths (first five) and zod's issues. */
export function schemaCheck<T>(schema: ResponseSchema<T>): BodyCheck<T> {
  return (json) => {
    const r = schema.safeParse(json);
    if (r.success) return { ok: true, value: r.data };
    const where = r.error.issues.map((i) => (i.path.length ? i.path.map(String).join(".") : "(body)")).slice(0, 5).join(", ");
    return { ok: false, where, issues: r.error.issues };
  };
}

/**
 * Maps an HTTP answer to a result with the shared outcome table
 * (`classifyStatus`, docs/protocol.md), validating a 200 body with `schema`.
 */
export function classifyResponse<T>(status: number, text: string, schema: ResponseSchema<T>): ClientResult<T> {
  return classifyStatus(status, text, schemaCheck(schema));
}
