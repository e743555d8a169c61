import type { Principal } from '../domain/principal.js';
import { notFound } from '../domain/error.js';
import type { Enricher } from '../enrich/enricher.js';
import { enrichersOf } from '../enrich/plugin.js';
import { entitiesById, type EntityRow } from '../store/entity.js';
import { setEntityData } from '../store/enrichment.js';
import { adminOnly } from './access.js';
import type { App } from './context.js';
import { enqueue, enqueueMany, type JobHandler } from './job.js';
import { inTransaction, type Unit } from './unit.js';

/** What one enricher left under `data.<name>`: its result, or why it failed, and when. */
export type Enrichment = { at: number; result: object; summary?: string } | { at: number; error: string };

/** How long an enricher may take when it does not say. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** The largest result kept in an entity's data, as JSON text: enrichment is a summary, not a mirror of a feed. */
const MAX_RESULT_CHARS = 64 * 1024;

/** Attempts of one entity's enrichment: a failing enricher is tried again after the worker's backoff, then left with its error. */
const ENRICH_ATTEMPTS = 3;

/** Who enrichment's writes are recorded as in the change log. */
const ENRICHER: Principal = { userId: 0, username: 'scot:enrich', groups: [], admin: true };

/** The listed enrichers that take entities of `type`. */
const enrichersFor = async (app: App, type: string) => (await enrichersOf(app.config)).filter((e) => e.types.includes(type));

/** Enqueues one `entity.enrich` job per new entity some listed enricher takes and wants: flair's new-entity hook. */
export async function enqueueEnrichment(unit: Unit, entities: readonly EntityRow[]): Promise<void> {
  const enrichers = await enrichersOf(unit.app.config);
  const payloads = entities
    .filter((entity) => enrichers.some((e) => e.types.includes(entity.type) && (e.wants?.(entity) ?? true)))
    .map((e) => ({ entity: e.id }));
  // New entities have no job yet, so none needs a key; thousands of them arrive together in one alert.
  await enqueueMany(unit, 'entity.enrich', payloads, { maxAttempts: ENRICH_ATTEMPTS });
}

/**
 * Runs one enricher on one entity, bounded by its timeout and by `stop`: its result, its error, or null
 * when it knows nothing of the entity (such as GeoIP of a private address). Never throws.
 */
async function runEnricher(app: App, enricher: Enricher, entity: EntityRow, stop: AbortSignal): Promise<Enrichment | null> {
  const timeoutMs = enricher.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`${enricher.name} timed out after ${timeoutMs} ms`)), timeoutMs);
  const onStop = () => abort.abort(stop.reason);
  stop.addEventListener('abort', onStop, { once: true });
  try {
    // An enricher that ignores its signal is left behind rather than waited for.
    const aborted = new Promise<never>((_, reject) =>
      abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true }),
    );
    const work = enricher.enrich({ id: entity.id, type: entity.type, value: entity.value }, { signal: abort.signal });
    const result = await Promise.race([work, aborted]);
    if (result !== null && (typeof result !== 'object' || Array.isArray(result)))
      throw new Error(`${enricher.name} answered ${JSON.stringify(result)}, not an object`);
    if (result === null) return null;
    // Checked here, so an answer that cannot be stored is this enricher's error and not the whole job's.
    const size = JSON.stringify(result).length;
    if (size > MAX_RESULT_CHARS)
      throw new Error(`${enricher.name} answered ${size} characters of JSON; at most ${MAX_RESULT_CHARS} are kept`);
    const summary = enricher.summary?.(result);
    return { at: app.now(), result, ...(summary === undefined ? {} : { summary: String(summary).slice(0, 40) }) };
  } catch (err) {
    // The first line: what an analyst reads in the entity's data and in `scot jobs`.
    return { at: app.now(), error: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
}

/**
 * Runs the listed enrichers of an entity's type, side by side, and stores each one's outcome under
 * `data.<name>`; unless `all`, only those without a result yet (a retry re-runs only what failed).
 * Throws, so the job is tried again, when any failed.
 */
export async function enrichEntity(app: App, id: number, signal: AbortSignal, all: boolean): Promise<void> {
  const [entity] = await entitiesById(app.store.db, [id]);
  if (!entity) return;
  const data = JSON.parse(entity.data) as Record<string, Enrichment | undefined>;
  const due = (await enrichersFor(app, entity.type)).filter((e) => all || !(data[e.name] && 'result' in data[e.name]!));
  const outcomes = await Promise.all(
    due.map(async (e) => ({ name: e.name, outcome: await runEnricher(app, e, entity, signal) })),
  );
  // Stopped (shutdown, lost lease): the job runs again, and what was cut short is no error of the enricher's.
  signal.throwIfAborted();
  const stored = outcomes.filter((o): o is { name: string; outcome: Enrichment } => o.outcome !== null);
  await inTransaction(app, ENRICHER, async (unit) => {
    for (const { name, outcome } of stored) await setEntityData(unit.db, unit.rules, id, name, outcome, unit.now);
    if (stored.length > 0) {
      unit.record(
        'entity',
        id,
        'enrich',
        Object.fromEntries(stored.map(({ name, outcome }) => [name, 'error' in outcome ? `failed: ${outcome.error}` : 'done'])),
      );
    }
  });
  const failed = stored.filter(({ outcome }) => 'error' in outcome);
  if (failed.length > 0)
    throw new Error(failed.map(({ name, outcome }) => `${name}: ${(outcome as { error: string }).error}`).join('; '));
}

/** The `entity.enrich` job: one entity's enrichment, retried while an enricher fails. */
export const enrichJob: JobHandler = {
  kind: 'entity.enrich',
  concurrency: 4,
  async handle(job, { app, signal }) {
    const { entity, all } = job.payload as { entity: number; all?: boolean };
    // Asked to run all again, the first attempt does; retries run only what failed.
    await enrichEntity(app, entity, signal, all === true && job.attempts <= 1);
  },
};

/** Runs every listed enricher of an entity again in the background; the job's id. For admins. */
export async function enrichAgain(app: App, who: Principal, id: number): Promise<{ entity: number; job: number }> {
  adminOnly(who, 're-run enrichment');
  return inTransaction(app, who, async (unit) => {
    const [entity] = await entitiesById(unit.db, [id]);
    if (!entity) throw notFound('entity', id);
    const job = await enqueue(
      unit,
      'entity.enrich',
      { entity: id, all: true },
      { key: `enrich:${id}`, maxAttempts: ENRICH_ATTEMPTS },
    );
    unit.record('entity', id, 'enrich-requested', { job: job.id });
    return { entity: id, job: job.id };
  });
}

/** The short summaries an entity's enrichments carry by enricher name (`{geoip: "GB"}`): what the flair entity map shows. */
export function enrichmentSummary(data: Record<string, unknown>): Record<string, string> {
  const summary: Record<string, string> = {};
  for (const [name, value] of Object.entries(data)) {
    const text = (value as { summary?: unknown } | null)?.summary;
    if (typeof text === 'string') summary[name] = text;
  }
  return summary;
}
