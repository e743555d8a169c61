import { sql, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
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

/** One term of a list's order. Nulls sort first, before every value, on both databases. */
export interface SortTerm {
  column: string;
  desc: boolean;
  nullable?: true;
}

/** What a page starts after: the previous page's last row's values of the sort terms (`orderTerms`), in order. */
export type Position = readonly (string | number | null)[];

export interface ListQuery {
  filters: FieldFilter[];
  /** Labels the rows must all have (`present`) or all lack. */
  labels: { kind: LabelKind; name: string; present: boolean }[];
  sort: SortTerm[];
  limit: number;
  offset: number;
  /** The keyset cursor's position: rows after it in the order, instead of skipping `offset` rows. */
  after?: Position;
  /** Only rows readable by these groups; null means no restriction (admin). */
  readableBy: readonly string[] | null;
  deleted: boolean;
  /** Matches counted exactly at most; above it the total is an estimate, unless the dialect's live counts count the list. */
  countBound: number;
}

/** A page of rows and how many match in all: exactly, or estimated when more than the count bound do. */
export interface ListResult<R> {
  rows: R[];
  total: number;
  exact: boolean;
}

/**
 * Links of a label to targets of one type, below which the label counts as rare: its targets are
 * found from the label's side and sorted, instead of walking the list's order and checking each row.
 */
const RARE_LABEL = 2000;

type AnyDb = Kysely<any>;
type Where = ExpressionBuilder<any, any>;

/** A label filter with its label looked up: absent when no label has the name. */
interface LabelTerm {
  kind: LabelKind;
  present: boolean;
  labelId?: number;
  rare: boolean;
}

/**
 * The order a list is read in: the terms asked for, then id, so that every row has one place. The id
 * goes the way of the first term, so that one index on (term, id) serves the order read either way.
 */
export const orderTerms = (sort: readonly SortTerm[]): SortTerm[] =>
  sort.some((s) => s.column === 'id') ? [...sort] : [...sort, { column: 'id', desc: sort[0]?.desc ?? true }];

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

/** Looks up each label filter's label, and whether it is rare on objects of `type`. */
async function labelTerms(db: AnyDb, type: WorkflowType, labels: ListQuery['labels']): Promise<LabelTerm[]> {
  return Promise.all(
    labels.map(async ({ kind, name, present }) => {
      const label = await db.selectFrom(kind).select('id').where('name', '=', name).executeTakeFirst();
      if (!label) return { kind, present, rare: true };
      const links = db
        .selectFrom(`${kind}_link`)
        .select('target_id')
        .where('label_id', '=', label.id)
        .where('target_type', '=', type)
        .limit(RARE_LABEL);
      const { n } = await db
        .selectFrom(links.as('l'))
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return { kind, present, labelId: Number(label.id), rare: Number(n) < RARE_LABEL };
    }),
  );
}

function labelExpression(eb: Where, type: WorkflowType, label: LabelTerm): Expression<SqlBool> {
  if (label.labelId === undefined) return label.present ? eb.lit(false) : eb.lit(true);
  const links = eb
    .selectFrom(`${label.kind}_link as l`)
    .where('l.label_id', '=', label.labelId)
    .where('l.target_type', '=', type);
  if (label.present && label.rare) return eb(`${type}.id`, 'in', links.select('l.target_id'));
  const linked = eb.exists(links.select(sql.lit(1).as('one')).whereRef('l.target_id', '=', `${type}.id`));
  return label.present ? linked : eb.not(linked);
}

/**
 * Rows after `position` in the order of `terms`: beyond the first term's value, or equal to it and
 * beyond on the next, and so on. The first term's bound is repeated on its own, so that the database
 * starts reading its index at the position instead of filtering every row before it.
 */
function afterPosition(eb: Where, type: WorkflowType, terms: SortTerm[], position: Position): Expression<SqlBool> {
  const ref = (t: SortTerm) => eb.ref(`${type}.${t.column}`);
  const same = (t: SortTerm, v: string | number | null) => (v === null ? eb(ref(t), 'is', null) : eb(ref(t), '=', v));
  // Nulls come first: after a null in ascending order comes every value, in descending order only other nulls.
  const beyond = (t: SortTerm, v: string | number | null): Expression<SqlBool> | undefined => {
    if (!t.desc) return v === null ? eb(ref(t), 'is not', null) : eb(ref(t), '>', v);
    if (v === null) return undefined;
    return t.nullable ? eb.or([eb(ref(t), '<', v), eb(ref(t), 'is', null)]) : eb(ref(t), '<', v);
  };
  const ways: Expression<SqlBool>[] = [];
  terms.forEach((t, j) => {
    const past = beyond(t, position[j]);
    if (past) ways.push(eb.and([...terms.slice(0, j).map((p, i) => same(p, position[i])), past]));
  });
  const [first] = terms;
  const start = position[0];
  const parts = [ways.length > 0 ? eb.or(ways) : eb.lit(false)];
  if (start !== null && !(first.desc && first.nullable)) parts.unshift(eb(ref(first), first.desc ? '<=' : '>=', start));
  return eb.and(parts);
}

function whereClause(rules: DialectRules, type: WorkflowType, q: ListQuery, labels: LabelTerm[]) {
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
    for (const label of labels) parts.push(labelExpression(eb, type, label));
    return eb.and(parts);
  };
}

/** The golden ratio's fraction: multiples of it spread sample ids evenly without falling in step with periodic data. */
const SPREAD = 0.618_033_988_749_895;

/**
 * How many rows match: exactly up to `bound`, and above it an estimate: the share of matching rows
 * among `bound` ids spread evenly over the table, times the table's id range. Either costs about
 * `bound` rows read, however many match.
 */
async function countMatches(
  db: AnyDb,
  type: WorkflowType,
  where: (eb: Where) => Expression<SqlBool>,
  bound: number,
): Promise<{ total: number; exact: boolean }> {
  const table: WorkflowType = type;
  const counted = async (rows: SelectQueryBuilder<any, any, any>) =>
    Number(
      (
        await db
          .selectFrom(rows.as('m'))
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const found = await counted(
    db
      .selectFrom(table)
      .select(`${type}.id`)
      .where(where)
      .limit(bound + 1),
  );
  if (found <= bound) return { total: found, exact: true };
  const ends = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom(table)
        .select((s) => s.fn.min('id').as('m'))
        .as('first'),
      eb
        .selectFrom(table)
        .select((s) => s.fn.max('id').as('m'))
        .as('last'),
    ])
    .executeTakeFirstOrThrow();
  const [first, last] = [Number(ends.first), Number(ends.last)];
  const span = last - first + 1;
  // The ids are named, so that the database looks each one up by key and walks no index of the filter.
  const ids = [...new Set(Array.from({ length: bound }, (_, i) => first + Math.floor(((i * SPREAD) % 1) * span)))];
  const sampled = await counted(db.selectFrom(table).select(`${type}.id`).where(where).where(`${type}.id`, 'in', ids));
  const estimate = Math.round((sampled / ids.length) * span);
  return { total: Math.max(found, estimate), exact: false };
}

/** True when the list is every live row, as the admin lists them unfiltered: the dialect's live counts count it. */
const countedLive = (rules: DialectRules, q: ListQuery) =>
  rules.liveCounts && q.filters.length === 0 && q.labels.length === 0 && !q.deleted && q.readableBy === null;

/** The live rows of `type`, summed over the counter's shards: a subquery, read in the snapshot of the statement it is in. */
const liveCount = (db: AnyDb, type: WorkflowType) =>
  db.selectFrom('live_count').select(sql<number>`coalesce(sum(n), 0)::bigint`.as('n')).where('type', '=', type);

/** One page of rows matching the query, and how many match in all. */
export async function listTracked<T extends WorkflowType>(
  db: Executor,
  rules: DialectRules,
  type: T,
  q: ListQuery,
): Promise<ListResult<RowOf<T>>> {
  const adb = db as AnyDb;
  const table: WorkflowType = type;
  const where = whereClause(rules, type, q, await labelTerms(adb, type, q.labels));
  const terms = orderTerms(q.sort);
  const counted = countedLive(rules, q);
  const readLive = async () => Number((await liveCount(adb, type).executeTakeFirstOrThrow()).n);
  // Past the first page, the count decides which end the page is read from.
  const live = counted && q.offset > 0 ? await readLive() : undefined;
  const ordered = <S extends SelectQueryBuilder<any, any, any>>(select: S, by = terms): S => {
    for (const t of by) {
      const ref = sql.ref(`${type}.${t.column}`);
      // Only nullable columns say where nulls go: an explicit NULLS on the others would keep PostgreSQL off their indexes.
      select = (
        t.nullable
          ? select.orderBy(t.desc ? sql`${ref} desc nulls last` : sql`${ref} asc nulls first`)
          : select.orderBy(`${type}.${t.column}`, t.desc ? 'desc' : 'asc')
      ) as S;
    }
    return select;
  };
  let matching = adb.selectFrom(table).where(where);
  if (q.after) {
    const position = q.after;
    matching = matching.where((eb) => afterPosition(eb, type, terms, position));
  }
  // Past the first page, the ids come first, skipped in an index, and then only the page's rows are
  // read: PostgreSQL would otherwise fetch every row it skips (a million for `/alert?offset=999900`).
  const pageIds = ordered(matching.select(`${type}.id`))
    .limit(q.limit)
    .offset(q.offset);
  // Nearer the end of `<table>_live` than its start, a page of every live row in id order is read from
  // the end, in the reverse order, skipping the fewer entries after it. Its statement counts the rows
  // again, so that the count and the page come from one snapshot. The ids go in an array: PostgreSQL
  // guesses that a subquery whose limit it learns only as it runs yields a tenth of the table, and
  // joined it by reading the whole table (232,000 rows, 70 ms, for a page of 334,000 alerts; 8.5 ms
  // from the array).
  const fromEnd =
    live !== undefined && !q.after && terms.length === 1 && terms[0].column === 'id' && live - q.offset - q.limit < q.offset;
  const idsFromEnd = () => {
    const count = liveCount(adb, type);
    return ordered(
      matching.select(`${type}.id`),
      terms.map((t) => ({ ...t, desc: !t.desc })),
    )
      .limit(sql<number>`least(${q.limit}, greatest(${count} - ${q.offset}, 0))`)
      .offset(sql<number>`greatest(${count} - ${q.offset + q.limit}, 0)`);
  };
  const onPage = (eb: Where) =>
    fromEnd ? sql<SqlBool>`${eb.ref(`${type}.id`)} = any(array(${idsFromEnd()}))` : eb(`${type}.id`, 'in', pageIds);
  const page =
    q.offset === 0 ? ordered(matching.selectAll()).limit(q.limit) : ordered(adb.selectFrom(table).selectAll().where(onPage));
  const rows = (await page.execute()) as RowOf<T>[];
  // A short page tells the total when it is the whole list, or its end read by offset.
  if (!q.after && rows.length < q.limit && (q.offset === 0 || rows.length > 0))
    return { rows, total: q.offset + rows.length, exact: true };
  if (counted) return { rows, total: live ?? (await readLive()), exact: true };
  return { rows, ...(await countMatches(adb, type, where, q.countBound)) };
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
