import { sql, type ExpressionBuilder, type RawBuilder, type Selectable } from 'kysely';
import type { WorkflowType } from '../domain/catalog.js';
import type { DialectRules } from './dialect/rules.js';
import type { Executor } from './index.js';
import type { Database, EntityAllowTable, EntitytypeTable, EntityTable } from './schema.js';
import { rowParameters, runShaped, shapedRuns } from './shaped.js';

export type EntityRow = Selectable<EntityTable>;
export type EntityAllowRow = Selectable<EntityAllowTable>;
export type EntitytypeRow = Selectable<EntitytypeTable>;

/** The objects flair reads text from and links entities to. */
export type FlairTarget = 'alert' | 'entry';

/** Ids or rows per statement: 6 values a row stays far below both engines' bind-parameter limits. */
const INSERT_CHUNK = 500;

const chunks = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / INSERT_CHUNK) }, (_, i) => items.slice(i * INSERT_CHUNK, (i + 1) * INSERT_CHUNK));

const toEntity = (row: EntityRow): EntityRow => ({
  ...row,
  id: Number(row.id),
  created: Number(row.created),
  updated: Number(row.updated),
});

/** Entities, appearances or flair rows per insert, a few ms each. */
const FLAIR_RUN = 256;

/** `type value` of an entity, as flair names it before it has an id. */
const keyOf = (e: { type: string; value: string }) => `${e.type} ${e.value}`;

/** The ids of those of `entities` already stored, by `type value`. */
export async function knownEntities(
  db: Executor,
  entities: readonly { type: string; value: string }[],
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const chunk of chunks(entities)) {
    // Types and values each in a list, which the (type, value) index serves; pairs not asked for are left out below.
    const rows = await db
      .selectFrom('entity')
      .select(['id', 'type', 'value'])
      .where('type', 'in', [...new Set(chunk.map((e) => e.type))])
      .where(
        'value',
        'in',
        chunk.map((e) => e.value),
      )
      .execute();
    const wanted = new Set(chunk.map(keyOf));
    for (const r of rows) if (wanted.has(keyOf(r))) ids.set(keyOf(r), Number(r.id));
  }
  return ids;
}

/**
 * Stores each (type, value) once; the ids of all of them by `type value`, and the rows stored now
 * (the entities seen for the first time). Only those already stored are looked up again: the
 * caller passes the entities it did not find stored, and the insert returns their ids.
 */
export async function upsertEntities(
  db: Executor,
  entities: readonly { type: string; value: string }[],
  now: number,
): Promise<{ ids: Map<string, number>; fresh: EntityRow[] }> {
  const fresh: EntityRow[] = [];
  const ids = new Map<string, number>();
  for (const run of shapedRuns(entities, FLAIR_RUN)) {
    const values = run.map((e) => ({
      type: e.type,
      value: e.value,
      status: 'untracked',
      data: '{}',
      created: now,
      updated: now,
    }));
    const { parameters } = rowParameters(values);
    const inserted = await runShaped<EntityRow>(
      db,
      `insert new entity x${run.length}`,
      () =>
        db
          .insertInto('entity')
          .values(values)
          .onConflict((oc) => oc.columns(['type', 'value']).doNothing())
          .returningAll(),
      parameters,
    );
    for (const row of inserted) {
      const entity = toEntity(row);
      fresh.push(entity);
      ids.set(keyOf(entity), entity.id);
    }
  }
  const known = entities.filter((e) => !ids.has(keyOf(e)));
  if (known.length > 0) for (const [key, id] of await knownEntities(db, known)) ids.set(key, id);
  return { ids, fresh };
}

/**
 * Makes the appearances of each object exactly its counts (entity id to times written): new ones are
 * first seen now, kept ones keep their first-seen time, gone ones are removed.
 */
export async function setAppearances(
  db: Executor,
  type: FlairTarget,
  counts: Map<number, Map<number, number>>,
  now: number,
): Promise<void> {
  const ids = [...counts.keys()];
  for (const chunk of chunks(ids)) {
    const before = await db
      .selectFrom('appearance')
      .select(['target_id', 'entity_id'])
      .where('target_type', '=', type)
      .where('target_id', 'in', chunk)
      .execute();
    for (const r of before) {
      if (counts.get(Number(r.target_id))!.has(Number(r.entity_id))) continue;
      await db
        .deleteFrom('appearance')
        .where('target_type', '=', type)
        .where('target_id', '=', r.target_id)
        .where('entity_id', '=', r.entity_id)
        .execute();
    }
  }
  const rows = ids.flatMap((id) =>
    [...counts.get(id)!].map(([entityId, count]) => ({
      entity_id: entityId,
      target_type: type,
      target_id: id,
      count,
      first_seen: now,
      last_seen: now,
    })),
  );
  for (const run of shapedRuns(rows, FLAIR_RUN)) {
    await runShaped(
      db,
      `upsert appearance x${run.length}`,
      () =>
        db
          .insertInto('appearance')
          .values(run)
          .onConflict((oc) =>
            oc
              .columns(['entity_id', 'target_type', 'target_id'])
              .doUpdateSet({ count: sql`excluded.count`, last_seen: sql`excluded.last_seen` }),
          ),
      rowParameters(run).parameters,
    );
  }
}

/** Stores the flaired HTML of objects, each for the version of its text its `source_hash` names. */
export async function saveFlair(
  db: Executor,
  type: FlairTarget,
  flairs: readonly { id: number; hash: string; html: string }[],
  now: number,
): Promise<void> {
  for (const run of shapedRuns(flairs, FLAIR_RUN)) {
    const values = run.map((f) => ({ target_type: type, target_id: f.id, source_hash: f.hash, html: f.html, updated: now }));
    await runShaped(
      db,
      `upsert flair x${run.length}`,
      () =>
        db
          .insertInto('flair')
          .values(values)
          .onConflict((oc) =>
            oc
              .columns(['target_type', 'target_id'])
              .doUpdateSet({ source_hash: sql`excluded.source_hash`, html: sql`excluded.html`, updated: sql`excluded.updated` }),
          ),
      rowParameters(values).parameters,
    );
  }
}

/** The text flair reads of objects of one type, by id: an entry's body, an alert's data. */
export async function sourcesOf(db: Executor, type: FlairTarget, ids: readonly number[]): Promise<Map<number, string>> {
  const sources = new Map<number, string>();
  for (const chunk of chunks(ids)) {
    const rows = await (type === 'alert'
      ? db.selectFrom('alert').select(['id', 'data as text']).where('id', 'in', chunk).where('deleted_at', 'is', null).execute()
      : db.selectFrom('entry').select(['id', 'body as text']).where('id', 'in', chunk).where('deleted_at', 'is', null).execute());
    for (const r of rows) sources.set(Number(r.id), r.text);
  }
  return sources;
}

/** The stored flair of objects of one type, by id. */
export async function flairOf(
  db: Executor,
  type: FlairTarget,
  ids: readonly number[],
): Promise<Map<number, { source_hash: string; html: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('flair')
    .select(['target_id', 'source_hash', 'html'])
    .where('target_type', '=', type)
    .where('target_id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [Number(r.target_id), r]));
}

/** The alerts or entries after `afterId`, in id order, at most `limit`: a reflair walks history with it. */
export async function targetsAfter(db: Executor, type: FlairTarget, afterId: number, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom(type)
    .select('id')
    .where('id', '>', afterId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.id));
}

/** How many alerts and entries a reflair walks. */
export async function countTargets(db: Executor, type: FlairTarget): Promise<number> {
  const row = await db
    .selectFrom(type)
    .select((eb) => eb.fn.countAll().as('n'))
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Ids of the objects of `type` in which an entity of type `entityType` appears. */
export async function targetsWithEntityType(db: Executor, type: FlairTarget, entityType: string): Promise<Set<number>> {
  const rows = await db
    .selectFrom('appearance')
    .innerJoin('entity', 'entity.id', 'appearance.entity_id')
    .select('appearance.target_id')
    .where('appearance.target_type', '=', type)
    .where('entity.type', '=', entityType)
    .execute();
  return new Set(rows.map((r) => Number(r.target_id)));
}

type Eb = ExpressionBuilder<Database, any>;

/** True for rows of `table` the groups may read; null groups read everything (admin). */
function readableBy(eb: Eb, rules: DialectRules, table: string, groups: readonly string[] | null) {
  const live = eb(sql.ref(`${table}.deleted_at`), 'is', null);
  if (groups === null) return live;
  return eb.and([
    live,
    eb.or([
      rules.jsonArrayHasAny(sql.ref(`${table}.read_groups`), groups),
      rules.jsonArrayHasAny(sql.ref(`${table}.modify_groups`), groups),
    ]),
  ]);
}

/**
 * True where the entity `entity` (an SQL reference to its id) appears in a live alert or entry the
 * groups may read: what lets a user see an entity, in its page and in search hits alike.
 */
export function entityReadable(rules: DialectRules, entity: RawBuilder<unknown>, groups: readonly string[]): RawBuilder<boolean> {
  const readable = sql`(${rules.jsonArrayHasAny(sql.ref('t.read_groups'), groups)} or ${rules.jsonArrayHasAny(sql.ref('t.modify_groups'), groups)})`;
  // `offset 0` keeps PostgreSQL from turning the check into a hash of every readable appearance,
  // built in full for the first entity hit; each hit looks up its own appearances instead.
  const through = (
    target: FlairTarget,
  ) => sql`exists (select 1 from appearance ap join ${sql.table(target)} t on t.id = ap.target_id
    where ap.target_type = ${target} and ap.entity_id = ${entity} and t.deleted_at is null and ${readable} limit 1 offset 0)`;
  return sql<boolean>`(${through('alert')} or ${through('entry')})`;
}

/** Ids of the live `target` rows the groups may read in which entity `entityId` appears. */
function appearsIn(eb: Eb, rules: DialectRules, target: FlairTarget, entityId: number, groups: readonly string[] | null) {
  return eb
    .selectFrom('appearance as ap')
    .innerJoin(`${target} as t` as 'alert as t', 't.id', 'ap.target_id')
    .select('t.id')
    .where('ap.target_type', '=', target)
    .where('ap.entity_id', '=', entityId)
    .where((w: Eb) => readableBy(w, rules, 't', groups));
}

/**
 * Ids of the objects of `type` an entity appeared in, through what the groups may read: an alert or
 * entry directly; an alertgroup through its alerts; any object through the entries written on it; an
 * event through the alerts promoted to it.
 */
function seenIn(eb: Eb, rules: DialectRules, type: WorkflowType, entityId: number, groups: readonly string[] | null) {
  if (type === 'alert' || type === 'entry') return appearsIn(eb, rules, type, entityId, groups);
  const throughEntries = eb
    .selectFrom('entry as e')
    .select('e.target_id as id')
    .where('e.target_type', '=', type)
    .where('e.id', 'in', appearsIn(eb, rules, 'entry', entityId, groups));
  const column = type === 'alertgroup' ? 'alertgroup_id' : type === 'event' ? 'promotion_id' : undefined;
  if (!column) return throughEntries;
  const throughAlerts = eb
    .selectFrom('alert as a')
    .select(`a.${column} as id` as 'a.alertgroup_id as id')
    .where('a.id', 'in', appearsIn(eb, rules, 'alert', entityId, groups));
  return throughEntries.union(throughAlerts as any);
}

/** One page of the objects of `type` an entity appeared in that the groups may read, newest first, and how many there are. */
export async function objectsSeenIn(
  db: Executor,
  rules: DialectRules,
  type: WorkflowType,
  entityId: number,
  groups: readonly string[] | null,
  page: { limit: number; offset: number },
): Promise<{ rows: any[]; total: number }> {
  const base = (db as Executor)
    .selectFrom(type as 'alert')
    .where((eb) =>
      eb.and([eb('id', 'in', seenIn(eb as Eb, rules, type, entityId, groups) as any), readableBy(eb as Eb, rules, type, groups)]),
    );
  const rows = await base.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
  const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { rows, total };
}

/** For each entity of `ids`, in how many alerts and entries the groups may read it appears. */
export async function readableCounts(
  db: Executor,
  rules: DialectRules,
  ids: readonly number[],
  groups: readonly string[] | null,
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  if (ids.length === 0) return counts;
  for (const target of ['alert', 'entry'] as const) {
    const rows = await db
      .selectFrom('appearance as ap')
      .innerJoin(`${target} as t` as 'alert as t', 't.id', 'ap.target_id')
      .select(['ap.entity_id', (eb) => eb.fn.countAll().as('n')])
      .where('ap.target_type', '=', target)
      .where('ap.entity_id', 'in', ids)
      .where((eb) => readableBy(eb as Eb, rules, 't', groups))
      .groupBy('ap.entity_id')
      .execute();
    for (const r of rows) counts.set(Number(r.entity_id), (counts.get(Number(r.entity_id)) ?? 0) + Number(r.n));
  }
  return counts;
}

/**
 * Ids of the entities found in the objects the groups may read: an alert or entry's own; an
 * alertgroup's alerts' and entries'; an event's promoted alerts' and entries'; an incident's entries'.
 */
export async function entityIdsOf(
  db: Executor,
  rules: DialectRules,
  type: WorkflowType,
  id: number,
  groups: readonly string[] | null,
): Promise<number[]> {
  const targets: { target: FlairTarget; ids: (eb: Eb) => any }[] = [];
  if (type === 'alert' || type === 'entry') {
    targets.push({ target: type, ids: () => [id] });
  } else {
    targets.push({
      target: 'entry',
      ids: (eb) =>
        eb
          .selectFrom('entry as t')
          .select('t.id')
          .where('t.target_type', '=', type)
          .where('t.target_id', '=', id)
          .where((w: Eb) => readableBy(w, rules, 't', groups)),
    });
    const column = type === 'alertgroup' ? 'alertgroup_id' : type === 'event' ? 'promotion_id' : undefined;
    if (column) {
      targets.push({
        target: 'alert',
        ids: (eb) =>
          eb
            .selectFrom('alert as t')
            .select('t.id')
            .where(`t.${column}` as 't.alertgroup_id', '=', id)
            .where((w: Eb) => readableBy(w, rules, 't', groups)),
      });
    }
  }
  const found = new Set<number>();
  for (const { target, ids } of targets) {
    const rows = await db
      .selectFrom('appearance')
      .select('entity_id')
      .distinct()
      .where('target_type', '=', target)
      .where((eb) => eb('target_id', 'in', ids(eb as Eb)))
      .execute();
    for (const r of rows) found.add(Number(r.entity_id));
  }
  return [...found];
}

/** Entity rows by id. */
/** Locks entity `id` for the rest of the transaction (the entries written on it keep one summary). */
export async function lockEntity(db: Executor, rules: DialectRules, ids: readonly number[]): Promise<void> {
  // One writer at a time already serializes every transaction.
  if (rules.singleWriter || ids.length === 0) return;
  await db.selectFrom('entity').select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

/** The entities of `ids`, by id. */
export async function entitiesById(db: Executor, ids: readonly number[]): Promise<EntityRow[]> {
  const rows: EntityRow[] = [];
  for (const chunk of chunks(ids))
    rows.push(...(await db.selectFrom('entity').selectAll().where('id', 'in', chunk).execute()).map(toEntity));
  return rows.sort((a, b) => a.id - b.id);
}

/** Entities of a type and/or value that appear in something the groups may read, one page by id, and how many. */
export async function findEntities(
  db: Executor,
  rules: DialectRules,
  filter: { type?: string; value?: string },
  groups: readonly string[] | null,
  page: { limit: number; offset: number },
): Promise<{ rows: EntityRow[]; total: number }> {
  let base = db.selectFrom('entity');
  if (filter.type !== undefined) base = base.where('type', '=', filter.type);
  if (filter.value !== undefined) base = base.where('value', '=', filter.value);
  if (groups !== null) {
    base = base.where((eb) =>
      eb.or(
        (['alert', 'entry'] as const).map((target) =>
          eb.exists(
            eb
              .selectFrom('appearance as ap')
              .innerJoin(`${target} as t` as 'alert as t', 't.id', 'ap.target_id')
              .select('ap.entity_id')
              .whereRef('ap.entity_id', '=', 'entity.id')
              .where('ap.target_type', '=', target)
              .where((w) => readableBy(w as Eb, rules, 't', groups)),
          ),
        ),
      ),
    );
  }
  const rows = await base.selectAll().orderBy('id').limit(page.limit).offset(page.offset).execute();
  const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { rows: rows.map(toEntity), total };
}

export async function setEntityStatus(db: Executor, id: number, status: string, now: number): Promise<void> {
  await db.updateTable('entity').set({ status, updated: now }).where('id', '=', id).execute();
}

/** The allow-list, oldest first. */
export async function allowList(db: Executor): Promise<EntityAllowRow[]> {
  return (await db.selectFrom('entity_allow').selectAll().orderBy('id').execute()).map((r) => ({
    ...r,
    id: Number(r.id),
    created: Number(r.created),
  }));
}

export async function insertAllowed(db: Executor, value: string, kind: string, now: number): Promise<number> {
  const row = await db.insertInto('entity_allow').values({ value, kind, created: now }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function deleteAllowed(db: Executor, id: number): Promise<EntityAllowRow | undefined> {
  return db.deleteFrom('entity_allow').where('id', '=', id).returningAll().executeTakeFirst();
}

/** Admin-defined entity types; only enabled ones when asked. */
export async function entitytypes(db: Executor, options: { enabledOnly?: boolean } = {}): Promise<EntitytypeRow[]> {
  let q = db.selectFrom('entitytype').selectAll();
  if (options.enabledOnly) q = q.where('status', '=', 'enabled');
  return (await q.orderBy('id').execute()).map(toEntitytype);
}

export async function entitytypeById(db: Executor, id: number): Promise<EntitytypeRow | undefined> {
  const row = await db.selectFrom('entitytype').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toEntitytype(row);
}

const toEntitytype = (r: EntitytypeRow): EntitytypeRow => ({
  ...r,
  id: Number(r.id),
  job_id: r.job_id === null ? null : Number(r.job_id),
  created: Number(r.created),
  updated: Number(r.updated),
});

export async function insertEntitytype(db: Executor, values: Omit<EntitytypeRow, 'id'>): Promise<number> {
  return Number((await db.insertInto('entitytype').values(values).returning('id').executeTakeFirstOrThrow()).id);
}

export async function updateEntitytype(db: Executor, id: number, values: Partial<Omit<EntitytypeRow, 'id'>>): Promise<void> {
  await db.updateTable('entitytype').set(values).where('id', '=', id).execute();
}
