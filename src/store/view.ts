import { sql } from 'kysely';
import type { Executor } from './index.js';

/** Objects whose opening is a view, counted in their `view_count`. */
export const VIEWED_TYPES = ['alertgroup', 'event', 'incident'] as const;
export type ViewedType = (typeof VIEWED_TYPES)[number];

export const isViewed = (type: string): type is ViewedType => (VIEWED_TYPES as readonly string[]).includes(type);

/** The last view of an object by one user. */
export interface ViewRow {
  target_type: ViewedType;
  target_id: number;
  username: string;
  viewed_at: number;
  address: string;
}

/** Rows per upsert, far below the bind-parameter limits of SQLite and PostgreSQL. */
const VIEW_UPSERT_CHUNK = 500;

/** Adds `n` views to an object's count. Not a change to the object: its revision stays. */
export async function addViews(db: Executor, type: ViewedType, id: number, n: number) {
  await db
    .updateTable(type)
    .set({ view_count: sql`view_count + ${n}` })
    .where('id', '=', id)
    .execute();
}

/** Records each user's latest view, replacing the one before. */
export async function upsertViewHistory(db: Executor, rows: readonly ViewRow[]) {
  for (let i = 0; i < rows.length; i += VIEW_UPSERT_CHUNK) {
    await db
      .insertInto('view_history')
      .values(rows.slice(i, i + VIEW_UPSERT_CHUNK))
      .onConflict((oc) =>
        oc.columns(['target_type', 'target_id', 'username']).doUpdateSet((eb) => ({
          viewed_at: eb.ref('excluded.viewed_at'),
          address: eb.ref('excluded.address'),
        })),
      )
      .execute();
  }
}

/** Per object id: user → their last view, `{when, where}` as SCOT 3 showed it. */
export async function viewHistoryOf(db: Executor, type: ViewedType, ids: readonly number[]) {
  const result = new Map<number, Record<string, { when: number; where: string }>>();
  if (ids.length === 0) return result;
  const rows = await db
    .selectFrom('view_history')
    .selectAll()
    .where('target_type', '=', type)
    .where('target_id', 'in', ids)
    .orderBy('username')
    .execute();
  for (const r of rows) {
    const views = result.get(r.target_id) ?? result.set(r.target_id, {}).get(r.target_id)!;
    views[r.username] = { when: Number(r.viewed_at), where: r.address };
  }
  return result;
}
