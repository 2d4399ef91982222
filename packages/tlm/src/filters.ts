import type { QueryIntent } from "@recall/protocol";

const DAY_MS = 86_400_000;

function boundMs(value: string, endOfDay: boolean): number {
  const ms = Date.parse(value);
  // A bare date as `until` covers that whole day.
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(value) ? ms + DAY_MS - 1 : ms;
}

/**
 * The filters of an intent as SQL conditions on `memories m` (fixed
 * fragments, user values always bound as named parameters), the key of
 * that combination (for statement caches) and the parameters. `kinds`: any
 * of; `entities`: all of, case-insensitive; `since`/`until`: inclusive.
 */
export interface FilterSql {
  key: string;
  conditions: string[];
  params: Record<string, unknown>;
  /** An index can enumerate the matches (entities or dates); kinds alone cannot. */
  indexed: boolean;
  /** The first entity (lower-cased), which drives an entity filter through its index. */
  firstEntity?: string;
}

/** Builds {@link FilterSql} for an intent; `conditions` is empty when it has no filter. */
export function filterSql(intent: QueryIntent): FilterSql {
  const entities = intent.entities?.length ? [...new Set(intent.entities.map((e) => e.toLowerCase()))] : undefined;
  const key = `${intent.kinds ? "k" : ""}${entities ? "e" : ""}${intent.since ? "s" : ""}${intent.until ? "u" : ""}`;
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (intent.kinds) {
    conditions.push("m.kind IN (SELECT value FROM json_each(@kinds))");
    params.kinds = JSON.stringify(intent.kinds);
  }
  if (entities) {
    conditions.push(
      "(SELECT count(*) FROM memory_entities e WHERE e.memory_rowid = m.rowid AND e.entity IN (SELECT value FROM json_each(@entities))) = @entityCount",
    );
    params.entities = JSON.stringify(entities);
    params.entityCount = entities.length;
  }
  if (intent.since) {
    conditions.push("m.created_ms >= @since");
    params.since = boundMs(intent.since, false);
  }
  if (intent.until) {
    conditions.push("m.created_ms <= @until");
    params.until = boundMs(intent.until, true);
  }
  return { key, conditions, params, indexed: Boolean(entities || intent.since || intent.until), ...(entities ? { firstEntity: entities[0]! } : {}) };
}
