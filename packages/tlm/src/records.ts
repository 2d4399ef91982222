import * as z from "zod";
import { MEMORY_KINDS } from "@recall/protocol";
import { InvalidRecordError } from "./errors";

const isoDateTime = z.iso.datetime({ offset: true, local: false }).or(z.iso.date());

/**
 * One input memory, as read from a JSONL line: `{id, text, kind, entities?,
 * created_at, source_ref?}`. Unknown fields are rejected (a typo is an error).
 */
export const MemoryRecord = z.strictObject({
  id: z.string().min(1).max(200),
  text: z.string().min(1).max(100_000),
  kind: z.enum(MEMORY_KINDS),
  entities: z.array(z.string().min(1).max(200)).max(64).optional(),
  created_at: isoDateTime,
  source_ref: z.string().min(1).max(2000).optional(),
});
export type MemoryRecord = z.infer<typeof MemoryRecord>;

/**
 * Parses JSONL text into records. Blank lines are skipped. Throws
 * {@link InvalidRecordError} naming the 1-based line of the first bad or
 * duplicate record.
 */
export function parseJsonl(text: string, file = "<input>"): MemoryRecord[] {
  const out: MemoryRecord[] = [];
  const seen = new Set<string>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      throw new InvalidRecordError(file, i + 1, `not valid JSON (${(e as Error).message})`, e);
    }
    const r = MemoryRecord.safeParse(json);
    if (!r.success) {
      const msg = r.error.issues.map((x) => `${x.path.length ? x.path.join(".") : "(record)"}: ${x.message}`).join("; ");
      throw new InvalidRecordError(file, i + 1, msg, r.error);
    }
    if (seen.has(r.data.id)) throw new InvalidRecordError(file, i + 1, `duplicate id ${JSON.stringify(r.data.id)}`);
    seen.add(r.data.id);
    out.push(r.data);
  }
  return out;
}
