import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Executor } from './index.js';
import { updateTrackedWhere } from './tracked.js';

/** The alertgroups stored under any of `messageIds`, oldest first, with what says who may read them. */
export async function alertgroupsByMessageIds(db: Executor, messageIds: readonly string[]) {
  if (messageIds.length === 0) return [];
  return db
    .selectFrom('alertgroup')
    .select(['id', 'message_id', 'owner', 'read_groups', 'modify_groups'])
    .where('message_id', 'in', messageIds)
    .orderBy('id')
    .execute();
}

/** The ids of the alerts of each of `alertgroupIds`, deleted ones too, in order. */
export async function alertIdsOfEach(db: Executor, alertgroupIds: readonly number[]): Promise<Map<number, number[]>> {
  const ids = new Map<number, number[]>(alertgroupIds.map((id) => [id, []]));
  if (alertgroupIds.length === 0) return ids;
  const rows = await db
    .selectFrom('alert')
    .select(['id', 'alertgroup_id'])
    .where('alertgroup_id', 'in', alertgroupIds)
    .orderBy('id')
    .execute();
  for (const r of rows) ids.get(Number(r.alertgroup_id))?.push(Number(r.id));
  return ids;
}

/** How many of an alertgroup's alerts (not deleted) have each status. */
export async function alertStatusCounts(db: Executor, alertgroupId: number): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('alert')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('alertgroup_id', '=', alertgroupId)
    .where('deleted_at', 'is', null)
    .groupBy('status')
    .execute();
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}

/** The ids of an alertgroup's alerts (not deleted) with `status`. */
export async function alertIdsWithStatus(db: Executor, alertgroupId: number, status: string): Promise<number[]> {
  const rows = await db
    .selectFrom('alert')
    .select('id')
    .where('alertgroup_id', '=', alertgroupId)
    .where('status', '=', status)
    .where('deleted_at', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}

/** Which rows of an alertgroup's alerts and their entries a change to the whole alertgroup updates. */
export type AlertScope = (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>;

/** Sets `values` on an alertgroup's alerts and on the entries written on them, those matching `where`, each with a new revision. */
export async function updateAlertsAndEntries(
  db: Executor,
  alertgroupId: number,
  values: Record<string, unknown>,
  where: AlertScope,
) {
  await updateTrackedWhere(db, 'alert', 'alertgroup_id', alertgroupId, values, where);
  await db
    .updateTable('entry')
    .set({ ...values, rev: sql`rev + 1` })
    .where('target_type', '=', 'alert')
    .where('target_id', 'in', db.selectFrom('alert').select('alert.id').where('alert.alertgroup_id', '=', alertgroupId))
    .where(where)
    .execute();
}
