import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { WORKFLOW_TYPES, type LabelKind, type WorkflowType } from '../domain/catalog.js';
import type { DialectRules } from './dialect/rules.js';
import { isForeignKeyViolation } from './dialect/errors.js';
import type { Executor, Store } from './index.js';
import { rowParameters, runShaped } from './shaped.js';

/** Tags and sources: named labels linked to any object. */

/**
 * Label ids by name, remembered per store: detection systems send the same few tags with every
 * alertgroup, and looking them up each time doubled the cost of ingest. A label deleted by another
 * process makes the link insert fail its foreign key; `retryOnStaleLabel` mends that.
 */
const known = new WeakMap<Store, Record<LabelKind, RememberedLabels>>();

/**
 * Label names remembered per kind at most: the few a detection system repeats stay, while a sender
 * naming a new tag on every alertgroup (attacker-shaped data) cannot grow the server's memory.
 */
export const MAX_REMEMBERED_LABELS = 10_000;

/** Label ids by name, the least recently used forgotten first once `limit` are remembered. */
export class RememberedLabels {
  private readonly ids = new Map<string, number>();

  constructor(readonly limit = MAX_REMEMBERED_LABELS) {}

  get size(): number {
    return this.ids.size;
  }

  /** The id of `name`, if remembered; it becomes the most recently used. */
  get(name: string): number | undefined {
    const id = this.ids.get(name);
    if (id !== undefined) this.set(name, id);
    return id;
  }

  /** Remembers `name` as the most recently used. */
  set(name: string, id: number): void {
    // A Map iterates in insertion order: inserting again moves the name to the young end.
    this.ids.delete(name);
    this.ids.set(name, id);
    if (this.ids.size > this.limit) this.ids.delete(this.ids.keys().next().value!);
  }
}

/** The remembered label ids of a store, by kind and name. */
export function rememberedLabels(store: Store) {
  let cache = known.get(store);
  if (!cache) known.set(store, (cache = { tag: new RememberedLabels(), source: new RememberedLabels() }));
  return cache;
}

/** Forgets every remembered label id: after a label was renamed or deleted. */
export function forgetLabels(store: Store) {
  known.delete(store);
}

/**
 * Runs `attempt`, and once more after forgetting every remembered label id if it failed on a
 * foreign key: a label another process deleted. `attempt` must leave nothing behind when it fails.
 */
export async function retryOnStaleLabel<T>(store: Store, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!isForeignKeyViolation(err)) throw err;
    forgetLabels(store);
    return attempt();
  }
}

/**
 * Ids of the named labels, creating those that do not exist yet with their note (if any) as
 * description; `created` lists those made now. Names are inserted in sorted order, so that two
 * transactions creating the same new labels lock them in one order and cannot deadlock.
 */
export async function ensureLabels(
  db: Executor,
  kind: LabelKind,
  names: readonly string[],
  now: number,
  notes?: ReadonlyMap<string, string>,
): Promise<{ ids: Map<string, number>; created: { id: number; name: string; description: string }[] }> {
  const ids = new Map<string, number>();
  if (names.length === 0) return { ids, created: [] };
  const created = await db
    .insertInto(kind)
    .values([...names].sort().map((name) => ({ name, description: notes?.get(name) ?? '', created: now })))
    .onConflict((oc) => oc.column('name').doNothing())
    .returning(['id', 'name', 'description'])
    .execute();
  const rows = await db.selectFrom(kind).select(['id', 'name']).where('name', 'in', names).execute();
  for (const r of rows) ids.set(r.name, r.id);
  return { ids, created };
}

/** Links per insert: 3 values a link stays far below SQLite's 32,766 bind parameters for a whole batch of alertgroups. */
const LINK_INSERT_CHUNK = 2000;

/** Links every target to every label, keeping links that already exist. */
export async function linkLabels(
  db: Executor,
  kind: LabelKind,
  targetType: string,
  targetIds: readonly number[],
  labelIds: readonly number[],
) {
  await linkEach(
    db,
    kind,
    targetType,
    targetIds.flatMap((target_id) => labelIds.map((label_id) => ({ target_id, label_id }))),
  );
}

/** Makes each of `links` (a target and a label), keeping links that already exist, in a statement per 2,000. */
export async function linkEach(
  db: Executor,
  kind: LabelKind,
  targetType: string,
  links: readonly { target_id: number; label_id: number }[],
) {
  for (let i = 0; i < links.length; i += LINK_INSERT_CHUNK) {
    await insertLinks(db, kind, targetType, links.slice(i, i + LINK_INSERT_CHUNK));
  }
}

async function insertLinks(
  db: Executor,
  kind: LabelKind,
  targetType: string,
  links: readonly { target_id: number; label_id: number }[],
) {
  const rows = links.map(({ target_id, label_id }) => ({ label_id, target_type: targetType, target_id }));
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

/** Removes one label from one target; false when it was not on it. */
export async function unlinkLabel(
  db: Executor,
  kind: LabelKind,
  targetType: string,
  targetId: number,
  labelId: number,
): Promise<boolean> {
  const result = await db
    .deleteFrom(`${kind}_link`)
    .where('label_id', '=', labelId)
    .where('target_type', '=', targetType)
    .where('target_id', '=', targetId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
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

export interface LabelQuery {
  name?: string;
  id?: number;
  limit: number;
  offset: number;
  /** Only labels unused or on an object readable by these groups, counting only such objects; null: all (admin). */
  readableBy: readonly string[] | null;
}

type AnyDb = Kysely<any>;
type Where = ExpressionBuilder<any, any>;

/** The links of the outer query's label to objects of `type` readable by `groups`, deleted or not. */
function readableLinks(eb: Where, rules: DialectRules, kind: LabelKind, type: WorkflowType, groups: readonly string[]) {
  return eb
    .selectFrom(`${kind}_link as l`)
    .innerJoin(`${type} as o`, 'o.id', 'l.target_id')
    .whereRef('l.label_id', '=', `${kind}.id`)
    .where('l.target_type', '=', type)
    .where((w) =>
      w.or([rules.jsonArrayHasAny(w.ref('o.read_groups'), groups), rules.jsonArrayHasAny(w.ref('o.modify_groups'), groups)]),
    );
}

/** How many objects carry the outer query's label: all of them, or those readable by `groups`. */
function useCount(eb: Where, rules: DialectRules, kind: LabelKind, groups: readonly string[] | null) {
  if (!groups) {
    return eb.selectFrom(`${kind}_link as l`).select(eb.fn.countAll().as('n')).whereRef('l.label_id', '=', `${kind}.id`);
  }
  const counts = WORKFLOW_TYPES.map((type) => readableLinks(eb, rules, kind, type, groups).select(eb.fn.countAll().as('n')));
  return sql<number>`${sql.join(
    counts.map((c) => sql`(${c})`),
    sql` + `,
  )}`;
}

/**
 * Labels by name with how many objects carry each. For a caller limited to some groups, a label
 * used only on objects they cannot read is left out, and counts include only what they can read:
 * a label's name or count must not reveal such objects. Admins' counts cost one index range per
 * label; others' read every object the label is on.
 */
export async function listLabels(
  db: Executor,
  rules: DialectRules,
  kind: LabelKind,
  q: LabelQuery,
): Promise<{ rows: LabelRecord[]; total: number }> {
  const groups = q.readableBy;
  const where = (eb: Where) => {
    const parts: Expression<SqlBool>[] = [];
    if (q.name !== undefined) parts.push(eb(`${kind}.name`, '=', q.name));
    if (q.id !== undefined) parts.push(eb(`${kind}.id`, '=', q.id));
    if (groups) {
      const anyLink = eb.selectFrom(`${kind}_link as u`).select(sql.lit(1).as('one')).whereRef('u.label_id', '=', `${kind}.id`);
      const unused = eb.not(eb.exists(anyLink));
      const seen = WORKFLOW_TYPES.map((type) =>
        eb.exists(readableLinks(eb, rules, kind, type, groups).select(sql.lit(1).as('one'))),
      );
      parts.push(eb.or([unused, ...seen]));
    }
    return eb.and(parts);
  };
  const base = (db as AnyDb).selectFrom(kind).where(where);
  const rows = await base
    .select((eb) => [
      `${kind}.id`,
      `${kind}.name`,
      `${kind}.description`,
      `${kind}.created`,
      useCount(eb, rules, kind, groups).as('count'),
    ])
    .orderBy(`${kind}.name`)
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
