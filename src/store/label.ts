import type { LabelKind } from '../domain/catalog.js';
import type { Executor } from './index.js';
import { rowParameters, runShaped } from './shaped.js';

/** Tags and sources: named labels linked to any object. */

/** Ids of the named labels, creating those not seen before with their note (if any) as description. */
export async function ensureLabels(db: Executor, kind: LabelKind, names: readonly string[], now: number, notes?: ReadonlyMap<string, string>) {
  const ids = new Map<string, number>();
  if (names.length === 0) return ids;
  await db
    .insertInto(kind)
    .values(names.map((name) => ({ name, description: notes?.get(name) ?? '', created: now })))
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const rows = await db.selectFrom(kind).select(['id', 'name']).where('name', 'in', names).execute();
  for (const r of rows) ids.set(r.name, r.id);
  return ids;
}

/** Links every target to every label, keeping links that already exist. */
export async function linkLabels(
  db: Executor,
  kind: LabelKind,
  targetType: string,
  targetIds: readonly number[],
  labelIds: readonly number[],
) {
  if (targetIds.length === 0 || labelIds.length === 0) return;
  const rows = targetIds.flatMap((target_id) =>
    labelIds.map((label_id) => ({ label_id, target_type: targetType, target_id })),
  );
  await runShaped(
    db,
    `link ${kind}x${rows.length}`,
    () =>
      db
        .insertInto(`${kind}_link`)
        .values(rows)
        .onConflict((oc) => oc.columns(['label_id', 'target_type', 'target_id']).doNothing()),
    rowParameters(rows).parameters,
  );
}

export async function unlinkAllLabels(db: Executor, kind: LabelKind, targetType: string, targetId: number) {
  await db.deleteFrom(`${kind}_link`).where('target_type', '=', targetType).where('target_id', '=', targetId).execute();
}

/** Label names per target id, sorted by name. */
export async function labelsOf(
  db: Executor,
  kind: LabelKind,
  targetType: string,
  targetIds: readonly number[],
): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>();
  if (targetIds.length === 0) return result;
  const rows = await db
    .selectFrom(`${kind}_link as l`)
    .innerJoin(`${kind} as t`, 't.id', 'l.label_id')
    .select(['l.target_id', 't.name'])
    .where('l.target_type', '=', targetType)
    .where('l.target_id', 'in', targetIds)
    .orderBy('t.name')
    .execute();
  for (const r of rows) (result.get(r.target_id) ?? result.set(r.target_id, []).get(r.target_id)!).push(r.name);
  return result;
}

export interface LabelRecord {
  id: number;
  name: string;
  description: string;
  created: number;
  count: number;
}

export async function listLabels(
  db: Executor,
  kind: LabelKind,
  q: { name?: string; limit: number; offset: number },
): Promise<{ rows: LabelRecord[]; total: number }> {
  let base = db.selectFrom(kind);
  if (q.name) base = base.where('name', '=', q.name);
  const rows = await base
    .select((eb) => [
      `${kind}.id` as const,
      `${kind}.name` as const,
      `${kind}.description` as const,
      `${kind}.created` as const,
      eb
        .selectFrom(`${kind}_link as l`)
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('l.label_id', '=', `${kind}.id`)
        .as('count'),
    ])
    .orderBy('name')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
  const total = Number((await base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { rows: rows.map((r) => ({ ...r, count: Number(r.count ?? 0) }) as LabelRecord), total };
}

export async function getLabel(db: Executor, kind: LabelKind, id: number) {
  return db.selectFrom(kind).selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateLabel(db: Executor, kind: LabelKind, id: number, values: { name?: string; description?: string }) {
  await db.updateTable(kind).set(values).where('id', '=', id).execute();
}

export async function deleteLabel(db: Executor, kind: LabelKind, id: number) {
  await db.deleteFrom(`${kind}_link`).where('label_id', '=', id).execute();
  await db.deleteFrom(kind).where('id', '=', id).execute();
}

export async function labelByName(db: Executor, kind: LabelKind, name: string) {
  return db.selectFrom(kind).selectAll().where('name', '=', name).executeTakeFirst();
}
