import type { Executor } from './index.js';

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
 * Rows per insert into the change log: 6 values a row stays far below the bind-parameter limits
 * (SQLite 32,766, PostgreSQL 65,535) that one statement for, say, closing 12,000 alerts would exceed.
 */
const CHANGE_INSERT_CHUNK = 1000;

/** Appends to the change log; the caller's transaction makes the append atomic with the change itself. */
export async function appendChanges(db: Executor, changes: readonly NewChange[]): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < changes.length; i += CHANGE_INSERT_CHUNK) {
    const rows = await db
      .insertInto('change')
      .values(changes.slice(i, i + CHANGE_INSERT_CHUNK).map((c) => ({ ...c, diff: JSON.stringify(c.diff ?? {}) })))
      .returning('seq')
      .execute();
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
      db.selectFrom('change').select('seq').where('type', '=', type).where('target_id', '=', targetId).where('action', '=', 'create'),
    );
    return eb.or([
      own,
      eb.and([eb('type', '=', createdBy.type), eb('target_id', '=', createdBy.target_id), eb('action', '=', 'create'), eb.not(createdAlone)]),
    ]);
  });
  const rows = await base
    .selectAll()
    .orderBy('seq', page.desc ? 'desc' : 'asc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { rows: rows.map((r) => ({ ...r, seq: Number(r.seq), diff: JSON.parse(r.diff) })), total };
}
