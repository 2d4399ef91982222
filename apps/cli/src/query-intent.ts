import { intOption, listOption, strOption, type ParsedArgs } from "./args";
import { UsageError } from "./errors";

/** Memory kinds a query may filter on (docs/protocol.md). */
export const KINDS = ["fact", "decision", "preference", "episode", "note"] as const;

/** The query body sent to `POST /query` (structurally `QueryIntent`, docs/protocol.md). */
export interface CliQueryIntent {
  text: string;
  kinds?: string[];
  entities?: string[];
  since?: string;
  until?: string;
  limit?: number;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function dateOption(values: ParsedArgs["values"], name: string): string | undefined {
  const v = strOption(values, name);
  if (v === undefined) return undefined;
  if (!DATE_RE.test(v) || Number.isNaN(Date.parse(v))) {
    throw new UsageError(`--${name} "${v}" is not an ISO 8601 date`, `e.g. --${name} 2026-01-31 or --${name} 2026-01-31T09:00:00Z`);
  }
  // A time without zone is ambiguous: the wire wants an offset; accept dates alone as is.
  return v;
}

/**
 * Builds and checks the query from the command line, so a bad argument is a
 * usage error (exit 2) before any socket is touched.
 */
export function intentFromArgs(args: ParsedArgs): CliQueryIntent {
  const text = args.positionals[0]!;
  if (text.trim().length === 0) throw new UsageError("TEXT is empty", 'e.g. recall query "release checklist"');
  if (text.length > 2000) throw new UsageError(`TEXT is ${text.length} characters; at most 2000`);
  const kinds = listOption(args.values, "kind").flatMap((k) => k.split(",").map((x) => x.trim()).filter(Boolean));
  for (const k of kinds) {
    if (!(KINDS as readonly string[]).includes(k)) throw new UsageError(`--kind "${k}" is not a memory kind`, `use one of ${KINDS.join(", ")}`);
  }
  const entities = listOption(args.values, "entity");
  if (entities.length > 32) throw new UsageError(`${entities.length} --entity given; at most 32`);
  if (entities.some((e) => e.length === 0 || e.length > 200)) throw new UsageError("--entity must be 1..200 characters");
  const since = dateOption(args.values, "since");
  const until = dateOption(args.values, "until");
  if (since && until && Date.parse(since) > Date.parse(until)) throw new UsageError(`--since ${since} is after --until ${until}`);
  const limit = intOption(args.values, "limit", 1, 100);
  return {
    text,
    ...(kinds.length ? { kinds: [...new Set(kinds)] } : {}),
    ...(entities.length ? { entities } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}
