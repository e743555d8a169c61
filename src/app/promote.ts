import { conflict } from '../domain/error.js';
import type { LabelInput } from '../domain/input/common.js';
import type { Groups } from '../domain/principal.js';
import { labelsOf } from '../store/label.js';
import type { RowOf } from '../store/schema.js';
import { insertTracked, lockTracked, touchTracked, updateTracked, type TrackedRow } from '../store/tracked.js';
import { dedupe, groupColumns, groupsForNew, groupsOf, modifiable } from './access.js';
import { attachLabels, labelNames } from './label.js';
import { lockForChange } from './lock.js';
import type { Noun } from './noun.js';
import { NOUNS } from './nouns.js';
import type { Unit } from './unit.js';

/** What each promotable type is promoted to. */
export const PROMOTES_TO = { alert: 'event', event: 'incident' } as const;
export type Promotable = keyof typeof PROMOTES_TO;

/** What each event or incident is promoted from. */
export const PROMOTED_FROM = { event: 'alert', incident: 'event' } as const satisfies Record<string, Promotable>;

/** The event or incident a row was promoted to, if any; only alerts and events are promoted. */
export const promotionOf = (row: object): number | null => ('promotion_id' in row ? (row.promotion_id as number | null) : null);

export interface NewParentFields {
  subject?: string;
  owner?: string;
  status?: string;
  tag?: LabelInput[];
  source?: LabelInput[];
  groups?: Partial<Groups>;
  extra?: Record<string, unknown>;
}

/** Locks and loads the objects to promote, each of which the caller must be allowed to change. */
export async function promotableRows<T extends Promotable>(unit: Unit, type: T, ids: readonly number[]): Promise<RowOf<T>[]> {
  const unique = dedupe(ids);
  await lockForChange(unit, type, unique);
  const rows = [];
  for (const id of unique) rows.push(await modifiable(unit, type, id));
  return rows;
}

/**
 * Promotes alerts to an event, or events to an incident: a new one (`target` "new") or an existing one.
 * Each promoted object links to its parent and takes status `promoted`. Returns the parent's id.
 * The `rows` must have been read under `lockForChange`, so that no other promotion can take them meanwhile.
 */
export async function promote<T extends Promotable>(
  unit: Unit,
  type: T,
  rows: RowOf<T>[],
  target: 'new' | number,
  fields: NewParentFields = {},
): Promise<number> {
  const parentType = PROMOTES_TO[type];
  for (const row of rows) {
    if (row.promotion_id !== null && row.promotion_id !== target) {
      throw conflict(`${type} ${row.id} is already promoted to ${parentType} ${row.promotion_id}`, 'promote');
    }
  }
  const fresh = rows.filter((r) => r.promotion_id === null);
  let parentId: number;
  if (target === 'new') {
    parentId = await createParent(unit, type, rows, fields);
  } else {
    // Locked after what is promoted into it, as lockForChange orders them.
    await lockTracked(unit.db, unit.rules, parentType, [target]);
    const parent = await modifiable(unit, parentType, target);
    parentId = parent.id;
    if (fresh.length > 0) {
      await touchTracked(unit.db, parentType, parentId, { updated: unit.now });
      unit.record(parentType, parentId, 'update', { promoted_from: { [type]: fresh.map((r) => r.id) } });
    }
  }
  for (const row of fresh) {
    await updateTracked(unit.db, type, row.id, { status: 'promoted', promotion_id: parentId, updated: unit.now });
    unit.record(type, row.id, 'promote', { to: { type: parentType, id: parentId }, status: [row.status, 'promoted'] });
  }
  const noun: Noun<T> = NOUNS[type];
  await noun.promoted?.(unit, parentId, fresh);
  return parentId;
}

/** A new event or incident, taking its subject, labels and groups from what is promoted into it. */
async function createParent<T extends Promotable>(
  unit: Unit,
  type: T,
  rows: RowOf<T>[],
  fields: NewParentFields,
): Promise<number> {
  const parentType = PROMOTES_TO[type];
  const ids = rows.map((r) => r.id);
  // Alerts carry their labels and subject on their alertgroup; events carry their own.
  const noun: Noun<T> = NOUNS[type];
  const origin = await noun.origin?.(unit, rows);
  const inherited = async (kind: 'tag' | 'source') => {
    const own = await labelsOf(unit.db, kind, type, ids);
    const fromOrigin = origin
      ? await labelsOf(
          unit.db,
          kind,
          origin.type,
          origin.rows.map((r) => r.id),
        )
      : new Map<number, string[]>();
    return dedupe([...fromOrigin.values(), ...own.values()].flat());
  };
  const tags: LabelInput[] = fields.tag ?? (await inherited('tag'));
  const sources: LabelInput[] = fields.source ?? (await inherited('source'));
  const first: TrackedRow = origin?.rows[0] ?? rows[0];
  const subject =
    fields.subject ?? ('subject' in first ? first.subject : undefined) ?? `${parentType} from ${type} ${ids.join(', ')}`;
  const groups = groupsForNew(unit, fields.groups, groupsOf(first));
  const id = await insertTracked(unit.db, parentType, {
    subject,
    status: fields.status ?? 'open',
    owner: fields.owner ?? unit.who.username,
    created: unit.now,
    updated: unit.now,
    ...groupColumns(groups),
    ...fields.extra,
  });
  await attachLabels(unit, parentType, [id], { tag: tags, source: sources });
  unit.record(parentType, id, 'create', {
    subject,
    tag: labelNames(tags),
    source: labelNames(sources),
    groups,
    promoted_from: { [type]: ids },
    ...fields.extra,
  });
  return id;
}
