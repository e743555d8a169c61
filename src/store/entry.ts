import type { Executor } from './index.js';

/** The ids of the summaries (not deleted) of an object; it should have one at most. */
export async function summariesOf(db: Executor, targetType: string, targetId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('entry')
    .select('id')
    .where('target_type', '=', targetType)
    .where('target_id', '=', targetId)
    .where('class', '=', 'summary')
    .where('deleted_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}
