import type { WorkflowType } from '../domain/catalog.js';
import { allowedOf } from '../domain/entity/allow.js';
import { checkEntitytype, extraType, type EntitytypeKind } from '../domain/entity/entitytype.js';
import { badInput, conflict, notFound } from '../domain/error.js';
import { ENTITY_TYPES } from '../domain/entity/type.js';
import type { Principal } from '../domain/principal.js';
import type { EntityAllowInput, EntitytypeInput, EntitytypePatch } from '../domain/input/entity.js';
import { isUniqueViolation } from '../store/dialect/errors.js';
import {
  allowList,
  countTargets,
  deleteAllowed,
  entitiesById,
  entityIdsOf,
  entitytypeById,
  entitytypes,
  findEntities,
  insertAllowed,
  insertEntitytype,
  objectsSeenIn,
  readableCounts,
  setEntityStatus,
  targetsAfter,
  targetsWithEntityType,
  updateEntitytype,
  type EntityRow,
  type EntitytypeRow,
  type FlairTarget,
} from '../store/entity.js';
import { jobById } from '../store/job.js';
import { getTrackedMany } from '../store/tracked.js';
import { adminOnly, readable } from './access.js';
import type { App } from './context.js';
import { enrichmentSummary } from './enrich.js';
import { flairRules, prepareFlair, stillCurrent, storeFlair } from './flair.js';
import { enqueue, presentJob, type JobHandler } from './job.js';
import { envelope, flag, parsePage, type ListEnvelope, type RawQuery } from './list.js';
import { entriesOf, type ThreadedEntry } from './thread.js';
import { inTransaction, reader, type Unit } from './unit.js';
import { present } from './nouns.js';
import { written, type Written } from './view.js';

/** An entity, entity type or allow-list entry as the API answers it. */
type Record_ = { id: number; [field: string]: unknown };

export { onNewEntity, type NewEntityHook } from './flair.js';

/** Groups whose objects the caller reads: null for an admin, who reads everything. */
const groupsOf = (who: Principal) => (who.admin ? null : who.groups);

/** Entities as the API shows them, with counts over only what the caller can read. */
async function presentEntities(unit: Unit, rows: EntityRow[]): Promise<Record_[]> {
  const counts = await readableCounts(
    unit.db,
    unit.rules,
    rows.map((r) => r.id),
    groupsOf(unit.who),
  );
  return rows.map((r) => ({
    id: r.id,
    type: r.type,
    value: r.value,
    count: counts.get(r.id) ?? 0,
    status: r.status,
    data: JSON.parse(r.data),
    created: r.created,
    updated: r.updated,
  }));
}

/** The entity when it appears in something the caller can read; 404 otherwise, so a value never leaks. */
async function readableEntity(unit: Unit, id: number): Promise<Record_> {
  const [row] = await entitiesById(unit.db, [id]);
  const [record] = row ? await presentEntities(unit, [row]) : [];
  if (!record || (record.count === 0 && !unit.who.admin)) throw notFound('entity', id);
  return record;
}

/** One entity. */
export async function getEntity(app: App, who: Principal, id: number): Promise<Record_> {
  return readableEntity(reader(app, who), id);
}

/** Entities by type and/or value (`GET /entity?type=ipaddr&value=10.1.2.3`). */
export async function findEntityList(app: App, who: Principal, q: RawQuery): Promise<ListEnvelope<unknown>> {
  const unit = reader(app, who);
  const filter = { type: single(q, 'type'), value: single(q, 'value') };
  const { rows, total } = await findEntities(unit.db, unit.rules, filter, groupsOf(who), parsePage(q));
  return envelope(await presentEntities(unit, rows), total);
}

function single(q: RawQuery, name: string): string | undefined {
  const raw = q[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2000)
    throw badInput(name, `${name} must be given once, 1 to 2000 characters`);
  return raw;
}

/** The entities found in one object the caller can read, keyed by value, as SCOT 3 answered, with their enrichment summaries. */
export async function entitiesOfObject(
  app: App,
  who: Principal,
  type: WorkflowType,
  id: number,
): Promise<{ records: Record<string, Record_>; queryRecordCount: number; totalRecordCount: number }> {
  const unit = reader(app, who);
  await readable(unit, type, id);
  const rows = await entitiesById(unit.db, await entityIdsOf(unit.db, unit.rules, type, id, groupsOf(who)));
  const records = await presentEntities(unit, rows);
  const withSummary = (r: Record_) => ({ ...r, enrichment: enrichmentSummary(r.data as Record<string, unknown>) });
  return {
    records: Object.fromEntries(records.map((r) => [r.value, withSummary(r)])),
    queryRecordCount: records.length,
    totalRecordCount: records.length,
  };
}

/** The objects of one type an entity appeared in, among those the caller can read. */
export async function whereSeen(
  app: App,
  who: Principal,
  id: number,
  type: WorkflowType,
  q: RawQuery,
): Promise<ListEnvelope<unknown>> {
  const unit = reader(app, who);
  await readableEntity(unit, id);
  const { rows, total } = await objectsSeenIn(unit.db, unit.rules, type, id, groupsOf(who), parsePage(q));
  return envelope(await present(unit, type, rows), total);
}

/**
 * `GET /entity/:id/entry`: the entries written on the entity (notes on the indicator), threaded as on any object,
 * which is what SCOT 3 answered; with `seen=true`, the entries the entity was found in instead, as
 * `GET /entity/:id/alert` lists the alerts.
 */
export async function entityEntries(
  app: App,
  who: Principal,
  id: number,
  q: RawQuery,
): Promise<ListEnvelope<ThreadedEntry> | ListEnvelope<unknown>> {
  const { seen: _, ...rest } = q;
  if (flag(q, 'seen')) return whereSeen(app, who, id, 'entry', rest);
  return entriesOf(app, who, 'entity', id, rest);
}

/** Marks an entity tracked or untracked; anyone who can see it may. */
export async function setEntityTracking(
  app: App,
  who: Principal,
  id: number,
  status: 'tracked' | 'untracked',
): Promise<Written<Record_>> {
  return inTransaction(app, who, async (unit) => {
    const before = await readableEntity(unit, id);
    if (before.status !== status) {
      await setEntityStatus(unit.db, id, status, unit.now);
      unit.record('entity', id, 'update', { status: [before.status, status] });
    }
    return written('put', 'entity', await readableEntity(unit, id));
  });
}

/** The allow-list: values, CIDR blocks and domains never flaired. For admins. */
export async function allowedEntities(app: App, who: Principal): Promise<ListEnvelope<unknown>> {
  adminOnly(who, 'see the entity allow-list');
  const rows = await allowList(app.store.db);
  return envelope(rows, rows.length);
}

/** Adds to the allow-list; what is flaired from now on leaves it out. For admins. */
export async function allowEntity(app: App, who: Principal, input: EntityAllowInput): Promise<Written<Record_>> {
  adminOnly(who, 'change the entity allow-list');
  const allowed = allowedOf(input.value);
  return inTransaction(app, who, async (unit) => {
    const id = await insertAllowed(unit.db, allowed.value, allowed.kind, unit.now).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw conflict(`${allowed.value} is on the allow-list already`, 'value');
      throw err;
    });
    unit.record('entity_allow', id, 'create', allowed);
    return written('post', 'entity_allow', { id, ...allowed, created: unit.now });
  });
}

/** Takes an entry off the allow-list. For admins. */
export async function disallowEntity(app: App, who: Principal, id: number): Promise<Written<Record_>> {
  adminOnly(who, 'change the entity allow-list');
  return inTransaction(app, who, async (unit) => {
    const row = await deleteAllowed(unit.db, id);
    if (!row) throw notFound('entity_allow', id);
    unit.record('entity_allow', id, 'delete', { value: row.value, kind: row.kind });
    return written('delete', 'entity_allow', { ...row, id: Number(row.id) });
  });
}

/** An admin-defined entity type with the progress of the reflair its last change started. */
async function presentEntitytype(unit: Unit, row: EntitytypeRow): Promise<Record_> {
  const job = row.job_id === null ? undefined : await jobById(unit.db, row.job_id);
  const progress = job ? presentJob(job) : undefined;
  return {
    id: row.id,
    value: row.value,
    match: row.match,
    kind: row.kind,
    status: row.status,
    created: row.created,
    updated: row.updated,
    reflair: progress
      ? { job: progress.id, status: progress.status, done: progress.progress?.done ?? 0, total: progress.progress?.total ?? null }
      : null,
  };
}

/** Starts the reflair of entity type `type` in the unit's transaction; the job id. */
async function startReflair(unit: Unit, type: string | null): Promise<number> {
  return (await enqueue(unit, 'reflair', { type }, { key: `reflair:${type ?? '*'}` })).id;
}

/** Admin-defined entity types. For admins. */
export async function entitytypeList(app: App, who: Principal): Promise<ListEnvelope<unknown>> {
  adminOnly(who, 'manage entity types');
  const unit = reader(app, who);
  const rows = await entitytypes(unit.db);
  return envelope(await Promise.all(rows.map((r) => presentEntitytype(unit, r))), rows.length);
}

export async function getEntitytype(app: App, who: Principal, id: number): Promise<Record_> {
  adminOnly(who, 'manage entity types');
  const unit = reader(app, who);
  const row = await entitytypeById(unit.db, id);
  if (!row) throw notFound('entitytype', id);
  return presentEntitytype(unit, row);
}

/** Defines an entity type and re-flairs history for it in the background. For admins. */
export async function createEntitytype(app: App, who: Principal, input: EntitytypeInput): Promise<Written<Record_>> {
  adminOnly(who, 'manage entity types');
  const definition = { value: input.value, match: input.match, kind: input.kind ?? 'regex' };
  checkEntitytype(definition);
  return inTransaction(app, who, async (unit) => {
    const values = { ...definition, status: input.status ?? 'enabled', job_id: null, created: unit.now, updated: unit.now };
    const id = await insertEntitytype(unit.db, values).catch((err: unknown) => {
      if (isUniqueViolation(err))
        throw conflict(`entity type ${definition.value} exists already; change it with PUT /entitytype/:id`, 'value');
      throw err;
    });
    await updateEntitytype(unit.db, id, { job_id: await startReflair(unit, definition.value) });
    unit.record('entitytype', id, 'create', definition);
    return written('post', 'entitytype', await presentEntitytype(unit, (await entitytypeById(unit.db, id))!));
  });
}

/** Changes, disables or enables an entity type, and re-flairs history for it. For admins. */
export async function changeEntitytype(app: App, who: Principal, id: number, patch: EntitytypePatch): Promise<Written<Record_>> {
  adminOnly(who, 'manage entity types');
  return inTransaction(app, who, async (unit) => {
    const row = await entitytypeById(unit.db, id);
    if (!row) throw notFound('entitytype', id);
    const next = {
      match: patch.match ?? row.match,
      kind: patch.kind ?? (row.kind as EntitytypeKind),
      status: patch.status ?? row.status,
    };
    checkEntitytype({ value: row.value, ...next });
    const diff = Object.fromEntries(
      (['match', 'kind', 'status'] as const).filter((k) => next[k] !== row[k]).map((k) => [k, [row[k], next[k]]]),
    );
    if (Object.keys(diff).length > 0) {
      await updateEntitytype(unit.db, id, { ...next, updated: unit.now, job_id: await startReflair(unit, row.value) });
      unit.record('entitytype', id, 'update', diff);
    }
    return written('put', 'entitytype', await presentEntitytype(unit, (await entitytypeById(unit.db, id))!));
  });
}

/** Objects a reflair transaction handles: small enough to keep each commit short. */
const REFLAIR_PAGE = 200;

/**
 * Re-flairs history: every alert and entry, or, for entity type `type`, those its definition
 * matches now or that held one of its entities, so a new, changed or disabled type shows everywhere.
 */
export async function reflair(
  app: App,
  who: Principal,
  type: string | null,
  progress: (done: number, total: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<number> {
  adminOnly(who, 're-flair history');
  if (
    type !== null &&
    !(ENTITY_TYPES as readonly string[]).includes(type) &&
    !(await entitytypes(app.store.db)).some((t) => t.value === type)
  ) {
    throw badInput(
      'type',
      `no entity type "${type}"; built-in types: ${ENTITY_TYPES.join(', ')}, or one defined with POST /entitytype`,
    );
  }
  const targets: FlairTarget[] = ['alert', 'entry'];
  const totals = await Promise.all(targets.map((t) => countTargets(app.store.db, t)));
  const total = totals[0] + totals[1];
  let done = 0;
  let flaired = 0;
  await progress(0, total);
  for (const target of targets) {
    const holding = type === null ? undefined : await targetsWithEntityType(app.store.db, target, type);
    for (let after = 0; ; ) {
      signal?.throwIfAborted();
      const ids = await targetsAfter(app.store.db, target, after, REFLAIR_PAGE);
      if (ids.length === 0) break;
      after = ids.at(-1)!;
      const unit = reader(app, who);
      const chosen = type === null ? ids : await matching(unit, target, ids, type, holding!);
      const prepared = await prepareFlair(unit, target, chosen, await flairRules(unit), true);
      flaired += await inTransaction(app, who, async (tx) => storeFlair(tx, target, await stillCurrent(tx, target, prepared)));
      done = Math.min(total, done + ids.length);
      await progress(done, total);
    }
  }
  return flaired;
}

/** Of `ids`, those the definition of `type` matches now, or that held an entity of that type. */
async function matching(unit: Unit, target: FlairTarget, ids: number[], type: string, holding: Set<number>): Promise<number[]> {
  const definition = (await entitytypes(unit.db)).find((t) => t.value === type && t.status === 'enabled');
  if (!definition) return ids.filter((id) => holding.has(id));
  const find = extraType({ value: definition.value, match: definition.match, kind: definition.kind as EntitytypeKind });
  const rows = await getTrackedMany(unit.db, target, ids);
  return rows
    .filter(
      (row) =>
        holding.has(row.id) ||
        !find
          .find('data' in row ? row.data : row.body)
          [Symbol.iterator]()
          .next().done,
    )
    .map((row) => row.id);
}

/** The `reflair` job: what creating, changing or disabling an entity type starts, with its progress. */
export const reflairJob: JobHandler = {
  kind: 'reflair',
  timeoutMs: 6 * 3600 * 1000,
  async handle(job, { app, signal, progress }) {
    const { type } = job.payload as { type: string | null };
    await reflair(app, { userId: 0, username: 'scot:reflair', groups: [], admin: true }, type, progress, signal);
  },
};
