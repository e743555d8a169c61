import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { FilterKind } from '../domain/catalog.js';
import type { LabelKind, WorkflowType } from '../domain/catalog.js';
import type { DialectRules } from './dialect/rules.js';
import type { Executor } from './index.js';
import type { RowOf } from './schema.js';
import { rowParameters, runShaped } from './shaped.js';

/** A row of any tracked table, as stored. */
export type TrackedRow = RowOf<WorkflowType>;

export interface FieldFilter {
  column: string;
  kind: FilterKind;
  values: string[];
}

export interface ListQuery {
  filters: FieldFilter[];
  /** Labels the rows must all have (`present`) or all lack. */
  labels: { kind: LabelKind; name: string; present: boolean }[];
  sort: { column: string; desc: boolean }[];
  limit: number;
  offset: number;
  /** Only rows readable by these groups; null means no restriction (admin). */
  readableBy: readonly string[] | null;
  deleted: boolean;
}

type AnyDb = Kysely<any>;
type Where = ExpressionBuilder<any, any>;

function filterExpression(eb: Where, rules: DialectRules, type: string, f: FieldFilter): Expression<SqlBool> {
  const ref = eb.ref(`${type}.${f.column}`);
  switch (f.kind) {
    case 'exact':
      return eb(ref, 'in', f.values);
    case 'int':
      return eb(ref, 'in', f.values.map(Number));
    case 'contains':
      return eb.or(f.values.map((v) => rules.containsText(ref, v)));
    case 'time': {
      const [from, to] = f.values;
      const parts: Expression<SqlBool>[] = [];
      if (from) parts.push(eb(ref, '>=', Number(from)));
      if (to) parts.push(eb(ref, '<=', Number(to)));
      return eb.and(parts);
    }
  }
}

function whereClause(rules: DialectRules, type: WorkflowType, q: ListQuery) {
  return (eb: Where) => {
    const parts: Expression<SqlBool>[] = [
      q.deleted ? eb(`${type}.deleted_at`, 'is not', null) : eb(`${type}.deleted_at`, 'is', null),
    ];
    if (q.readableBy) {
      parts.push(
        eb.or([
          rules.jsonArrayHasAny(eb.ref(`${type}.read_groups`), q.readableBy),
          rules.jsonArrayHasAny(eb.ref(`${type}.modify_groups`), q.readableBy),
        ]),
      );
    }
    for (const f of q.filters) parts.push(filterExpression(eb, rules, type, f));
    for (const label of q.labels) {
      const linked = eb.exists(
        eb
          .selectFrom(`${label.kind}_link as l`)
          .innerJoin(`${label.kind} as t`, 't.id', 'l.label_id')
          .select(sql.lit(1).as('one'))
          .where('l.target_type', '=', type)
          .whereRef('l.target_id', '=', `${type}.id`)
          .where('t.name', '=', label.name),
      );
      parts.push(label.present ? linked : eb.not(linked));
    }
    return eb.and(parts);
  };
}

/** One page of rows matching the query, and how many match in all. */
export async function listTracked<T extends WorkflowType>(
  db: Executor,
  rules: DialectRules,
  type: T,
  q: ListQuery,
): Promise<{ rows: RowOf<T>[]; total: number }> {
  const adb = db as AnyDb;
  const table: WorkflowType = type;
  const where = whereClause(rules, type, q);
  let select = adb.selectFrom(table).selectAll().where(where);
  for (const s of q.sort) select = select.orderBy(`${type}.${s.column}`, s.desc ? 'desc' : 'asc');
  if (!q.sort.some((s) => s.column === 'id')) select = select.orderBy(`${type}.id`, 'desc');
  const rows = (await select.limit(q.limit).offset(q.offset).execute()) as RowOf<T>[];
  const total =
    q.offset === 0 && rows.length < q.limit
      ? rows.length
      : Number(
          (
            await adb
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .where(where)
              .executeTakeFirstOrThrow()
          ).n,
        );
  return { rows, total };
}

export async function getTracked<T extends WorkflowType>(
  db: Executor,
  type: T,
  id: number,
  options: { includeDeleted?: boolean } = {},
): Promise<RowOf<T> | undefined> {
  let q = (db as AnyDb).selectFrom(type).selectAll().where('id', '=', id);
  if (!options.includeDeleted) q = q.where('deleted_at', 'is', null);
  return (await q.executeTakeFirst()) as RowOf<T> | undefined;
}

/**
 * Locks the rows of `ids` (deleted ones too) until the transaction ends, so that what a use case
 * decides from them still holds when it writes; each statement after it reads the rows as the last
 * holder of the lock left them. Locks are taken in id order, so that two transactions locking
 * overlapping rows wait for each other instead of deadlocking.
 */
export async function lockTracked(db: Executor, rules: DialectRules, type: WorkflowType, ids: readonly number[]): Promise<void> {
  // One writer at a time already serializes every transaction.
  if (rules.singleWriter || ids.length === 0) return;
  await (db as AnyDb).selectFrom(type).select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

/** The read and modify groups of the rows of `ids`, deleted ones too: who may hear of a change to them. */
export async function groupColumnsOf(
  db: Executor,
  type: WorkflowType,
  ids: readonly number[],
): Promise<Map<number, Pick<TrackedRow, 'read_groups' | 'modify_groups'>>> {
  if (ids.length === 0) return new Map();
  const rows = await (db as AnyDb)
    .selectFrom(type)
    .select(['id', 'read_groups', 'modify_groups'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r: { id: number; read_groups: string; modify_groups: string }) => [Number(r.id), r]));
}

/** The rows of `ids` in id order; deleted ones only when asked for. */
export async function getTrackedMany<T extends WorkflowType>(
  db: Executor,
  type: T,
  ids: readonly number[],
  options: { includeDeleted?: boolean } = {},
): Promise<RowOf<T>[]> {
  if (ids.length === 0) return [];
  let q = (db as AnyDb).selectFrom(type).selectAll().where('id', 'in', ids);
  if (!options.includeDeleted) q = q.where('deleted_at', 'is', null);
  return (await q.orderBy('id').execute()) as RowOf<T>[];
}

/** Rows by id, deleted ones too: what the records of a page refer to. */
export async function trackedById<T extends WorkflowType>(
  db: Executor,
  type: T,
  ids: readonly number[],
): Promise<Map<number, RowOf<T>>> {
  if (ids.length === 0) return new Map();
  const rows = (await (db as AnyDb).selectFrom(type).selectAll().where('id', 'in', ids).execute()) as RowOf<T>[];
  return new Map(rows.map((r) => [r.id, r]));
}

export async function insertTracked(db: Executor, type: WorkflowType, values: Record<string, unknown>): Promise<number> {
  return (await insertTrackedMany(db, type, [values]))[0];
}

/** Inserts rows that all have the same columns, returning their ids in order. */
export async function insertTrackedMany(db: Executor, type: WorkflowType, values: Record<string, unknown>[]): Promise<number[]> {
  if (values.length === 0) return [];
  const { columns, parameters } = rowParameters(values);
  const rows = await runShaped<{ id: number }>(
    db,
    `insert ${type}(${columns.join(',')})x${values.length}`,
    () => (db as AnyDb).insertInto(type).values(values).returning('id'),
    parameters,
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** Updates one row and bumps its revision. Returns false when the row is gone. */
export async function updateTracked(
  db: Executor,
  type: WorkflowType,
  id: number,
  values: Record<string, unknown>,
): Promise<boolean> {
  const result = await (db as AnyDb)
    .updateTable(type)
    .set({ ...values, rev: sql`rev + 1` })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Sets columns that are not the object's own fields (its updated time, counters derived from other
 * rows) without a new revision: a client's save based on the revision it read still applies.
 */
export async function touchTracked(db: Executor, type: WorkflowType, id: number, values: Record<string, unknown>): Promise<void> {
  await (db as AnyDb).updateTable(type).set(values).where('id', '=', id).execute();
}

export async function updateTrackedWhere(
  db: Executor,
  type: WorkflowType,
  column: string,
  value: number,
  values: Record<string, unknown>,
  extra?: (eb: Where) => Expression<SqlBool>,
): Promise<void> {
  let q = (db as AnyDb)
    .updateTable(type)
    .set({ ...values, rev: sql`rev + 1` })
    .where(column, '=', value);
  if (extra) q = q.where(extra);
  await q.execute();
}

/** Counts of rows per `column` value among `ids`, e.g. entries per target. */
export async function countBy(
  db: Executor,
  type: WorkflowType,
  column: string,
  ids: readonly number[],
  scope: Record<string, string> = {},
): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  let q = (db as AnyDb)
    .selectFrom(type)
    .select([column, (eb: Where) => eb.fn.countAll().as('n')])
    .where(column, 'in', ids)
    .where('deleted_at', 'is', null);
  for (const [k, v] of Object.entries(scope)) q = q.where(k, '=', v);
  const rows = await q.groupBy(column).execute();
  return new Map(rows.map((r: any) => [Number(r[column]), Number(r.n)]));
}

/** Ids of rows whose `column` points at one of `ids`, grouped by that column (e.g. alerts per event). */
export async function idsBy(
  db: Executor,
  type: WorkflowType,
  column: string,
  ids: readonly number[],
): Promise<Map<number, number[]>> {
  const result = new Map<number, number[]>();
  if (ids.length === 0) return result;
  const rows = await (db as AnyDb)
    .selectFrom(type)
    .select(['id', column])
    .where(column, 'in', ids)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
  for (const r of rows as any[]) {
    const key = Number(r[column]);
    (result.get(key) ?? result.set(key, []).get(key)!).push(Number(r.id));
  }
  return result;
}
