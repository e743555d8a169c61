import type { Executor } from './index.js';

export interface NewChange {
  at: number;
  who: string;
  type: string;
  target_id: number;
  action: string;
  diff: unknown;
}

export interface ChangeRecord {
  seq: number;
  at: number;
  who: string;
  type: string;
  target_id: number;
  action: string;
  diff: unknown;
}

/** Appends to the change log; the caller's transaction makes the append atomic with the change itself. */
export async function appendChanges(db: Executor, changes: readonly NewChange[]): Promise<number[]> {
  if (changes.length === 0) return [];
  const rows = await db
    .insertInto('change')
    .values(changes.map((c) => ({ ...c, diff: JSON.stringify(c.diff ?? {}) })))
    .returning('seq')
    .execute();
  return rows.map((r) => Number(r.seq));
}

export async function changesOf(
  db: Executor,
  type: string,
  targetId: number,
  page: { limit: number; offset: number; desc: boolean },
): Promise<{ rows: ChangeRecord[]; total: number }> {
  const base = db.selectFrom('change').where('type', '=', type).where('target_id', '=', targetId);
  const rows = await base
    .selectAll()
    .orderBy('seq', page.desc ? 'desc' : 'asc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { rows: rows.map((r) => ({ ...r, seq: Number(r.seq), diff: JSON.parse(r.diff) })), total };
}
