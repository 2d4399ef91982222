/**
 * Audit sink: one call per audit event, named as in docs/audit-events.md.
 * `fields` are content-free and never hold secrets: ids, counts, reasons,
 * durations and fingerprints, never an API key, a query text or a memory.
 */
export interface AuditSink {
  log(event: string, fields: Record<string, unknown>): void;
}

/** An audit sink that drops everything: the default of every library that takes an `audit`. */
export const noopAudit: AuditSink = Object.freeze({ log: (): void => {} });
