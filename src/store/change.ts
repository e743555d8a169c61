import type { SelectQueryBuilder } from 'kysely';
import type { WorkflowType } from '../domain/catalog.js';
import type { Executor } from './index.js';
import { rowParameters, runShaped, shapedRuns } from './shaped.js';

export interface NewChange {
  at: number;
  who: string;
  type: string;
  target_id: number;
  action: string;
  diff: unknown;
}

export interface ChangeRecord extends NewChange {
  seq: number;
}

/**
 * Rows per insert into the change log at most: 6 values a row stays far below the bind-parameter
 * limits (SQLite 32,766, PostgreSQL 65,535) that one statement for, say, closing 12,000 alerts would
 * exceed. Runs are as long as a power of two, so that an insert has a few shapes, each prepared once:
 * with a text for each count of changes, the background thread's appends kept 40 texts of up to 4,000
 * parameters in its statement cache, and heaptrack put 27 MiB of the thread's memory in prepared statements.
 */
const CHANGE_RUN = 1024;

/** Appends to the change log; the caller's transaction makes the append atomic with the change itself. */
export async function appendChanges(db: Executor, changes: readonly NewChange[]): Promise<number[]> {
  const seqs: number[] = [];
  for (const run of shapedRuns(changes, CHANGE_RUN)) {
    const values = run.map((c) => ({
      at: c.at,
      who: c.who,
      type: c.type,
      target_id: c.target_id,
      action: c.action,
      diff: JSON.stringify(c.diff ?? {}),
    }));
    const rows = await runShaped<{ seq: number }>(
      db,
      `append changes x${values.length}`,
      () => db.insertInto('change').values(values).returning('seq'),
      rowParameters(values).parameters,
    );
    seqs.push(...rows.map((r) => Number(r.seq)));
  }
  return seqs;
}

/**
 * The changes of one object, paged by seq. `createdBy` names a change that created the object
 * along with others (an alertgroup's `create` creates its alerts) and belongs to its history too,
 * unless the object has a `create` of its own (an alert added to its alertgroup later).
 */
export async function changesOf(
  db: Executor,
  type: string,
  targetId: number,
  page: { limit: number; offset: number; desc: boolean },
  createdBy?: { type: string; target_id: number },
): Promise<{ rows: ChangeRecord[]; total: number }> {
  const base = db.selectFrom('change').where((eb) => {
    const own = eb.and([eb('type', '=', type), eb('target_id', '=', targetId)]);
    if (!createdBy) return own;
    const createdAlone = eb.exists(
      db
        .selectFrom('change')
        .select('seq')
        .where('type', '=', type)
        .where('target_id', '=', targetId)
        .where('action', '=', 'create'),
    );
    return eb.or([
      own,
      eb.and([
        eb('type', '=', createdBy.type),
        eb('target_id', '=', createdBy.target_id),
        eb('action', '=', 'create'),
        eb.not(createdAlone),
      ]),
    ]);
  });
  return pageOf(base, page);
}

/** Which changes the audit log shows: any of these types, object ids, users and actions, within a time range. */
export interface ChangeFilter {
  types: string[];
  ids: number[];
  who: string[];
  actions: string[];
  from?: number;
  to?: number;
}

/** Changes across objects matching `filter`, paged by seq. */
export async function listChanges(
  db: Executor,
  filter: ChangeFilter,
  page: { limit: number; offset: number; desc: boolean },
): Promise<{ rows: ChangeRecord[]; total: number }> {
  const base = db
    .selectFrom('change')
    .where((eb) =>
      eb.and([
        ...(filter.types.length > 0 ? [eb('type', 'in', filter.types)] : []),
        ...(filter.ids.length > 0 ? [eb('target_id', 'in', filter.ids)] : []),
        ...(filter.who.length > 0 ? [eb('who', 'in', filter.who)] : []),
        ...(filter.actions.length > 0 ? [eb('action', 'in', filter.actions)] : []),
        ...(filter.from !== undefined ? [eb('at', '>=', filter.from)] : []),
        ...(filter.to !== undefined ? [eb('at', '<=', filter.to)] : []),
      ]),
    );
  return pageOf(base, page);
}

/**
 * The latest deletion of each object that is still deleted, newest first: SCOT 3's `deleted`
 * collection, whose ids are the seq of the `delete` change.
 */
export async function deletions(
  db: Executor,
  types: readonly WorkflowType[],
  page: { limit: number; offset: number },
): Promise<{ rows: ChangeRecord[]; total: number }> {
  const base = db.selectFrom('change as c').where((eb) =>
    eb.and([
      eb('c.action', '=', 'delete'),
      eb.or(
        types.map((type) =>
          eb.and([
            eb('c.type', '=', type),
            eb.exists(
              eb
                .selectFrom(type as 'event')
                .select('id')
                .whereRef('id', '=', 'c.target_id')
                .where('deleted_at', 'is not', null),
            ),
          ]),
        ),
      ),
      eb.not(
        eb.exists(
          eb
            .selectFrom('change as later')
            .select('later.seq')
            .whereRef('later.type', '=', 'c.type')
            .whereRef('later.target_id', '=', 'c.target_id')
            .whereRef('later.seq', '>', 'c.seq')
            .where('later.action', 'in', ['delete', 'undelete']),
        ),
      ),
    ]),
  );
  return pageOf(base, { ...page, desc: true });
}

export async function changeBySeq(db: Executor, seq: number): Promise<ChangeRecord | undefined> {
  const row = await db.selectFrom('change').selectAll().where('seq', '=', seq).executeTakeFirst();
  return row && { ...row, seq: Number(row.seq), diff: JSON.parse(row.diff) };
}

/** One page of the changes `base` selects, by seq, and how many it selects in all. */
async function pageOf(
  base: SelectQueryBuilder<any, any, object>,
  page: { limit: number; offset: number; desc: boolean },
): Promise<{ rows: ChangeRecord[]; total: number }> {
  const rows = await base
    .selectAll()
    .orderBy('seq', page.desc ? 'desc' : 'asc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { rows: rows.map((r: any) => ({ ...r, seq: Number(r.seq), diff: JSON.parse(r.diff) }) as ChangeRecord), total };
}

/** Up to `limit` changes after `seq`, in seq order, for a change-log consumer. */
export async function changesAfter(db: Executor, seq: number, limit: number): Promise<ChangeRecord[]> {
  const rows = await db.selectFrom('change').selectAll().where('seq', '>', seq).orderBy('seq').limit(limit).execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq), diff: JSON.parse(r.diff) }));
}

/** The changes with these seqs, in seq order: what an announcement from another node names. */
export async function changesIn(db: Executor, seqs: readonly number[]): Promise<ChangeRecord[]> {
  const found: ChangeRecord[] = [];
  for (let i = 0; i < seqs.length; i += CHANGE_RUN) {
    const chunk = seqs.slice(i, i + CHANGE_RUN);
    const rows = await db.selectFrom('change').selectAll().where('seq', 'in', chunk).orderBy('seq').execute();
    found.push(...rows.map((r) => ({ ...r, seq: Number(r.seq), diff: JSON.parse(r.diff) })));
  }
  return found.sort((a, b) => a.seq - b.seq);
}

/** The last seq of the change log; 0 when it is empty. */
export async function headSeq(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('change')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}
