import { ENRICHER_NAME } from '../config.js';

/** The entity an enricher is asked about. */
export interface EnrichedEntity {
  id: number;
  type: string;
  value: string;
}

/**
 * An enricher: what a plugin module exports, and what the built-ins are. `enrich` answers what it
 * learned about one entity of its `types` (null when it knows nothing), and stops when `signal` aborts.
 */
export interface Enricher {
  name: string;
  types: readonly string[];
  enrich(entity: EnrichedEntity, context: { signal: AbortSignal }): Promise<object | null>;
  /** How long one call may take before it counts as failed (default 10 s). */
  timeoutMs?: number;
  /** A few characters the flair entity map shows beside the entity (e.g. a country code). */
  summary?(result: object): string | undefined;
  /**
   * Whether it may know anything of an entity of its types (default: yes). An entity it never could
   * (GeoIP of a private address) gets no job, so new entities of that kind cost the job queue nothing.
   */
  wants?(entity: { type: string; value: string }): boolean;
}

/** The enricher `value` is, or why it is not one, naming `origin` (a plugin file). */
export function checkEnricher(value: unknown, origin: string): Enricher {
  const e = (value ?? {}) as Partial<Record<keyof Enricher, unknown>>;
  const problem =
    typeof e.name !== 'string' || !ENRICHER_NAME.test(e.name)
      ? `"name" must be lower-case letters, digits, "-" or "_" (at most 40), got ${JSON.stringify(e.name)}`
      : !Array.isArray(e.types) || e.types.length === 0 || !e.types.every((t) => typeof t === 'string')
        ? '"types" must list the entity types it enriches'
        : typeof e.enrich !== 'function'
          ? '"enrich" must be a function (entity, {signal}) => Promise<object>'
          : e.timeoutMs !== undefined && !(Number.isInteger(e.timeoutMs) && (e.timeoutMs as number) > 0)
            ? '"timeoutMs" must be a whole number of milliseconds above 0'
            : e.summary !== undefined && typeof e.summary !== 'function'
              ? '"summary" must be a function (result) => string'
              : e.wants !== undefined && typeof e.wants !== 'function'
                ? '"wants" must be a function (entity) => boolean'
                : undefined;
  if (problem) throw new Error(`${origin} does not export an enricher: ${problem}`);
  return e as unknown as Enricher;
}
