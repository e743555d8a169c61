import type { EntryTargetType, WorkflowType } from '../domain/catalog.js';
import { forbidden, notFound } from '../domain/error.js';
import { canModify, canRead, type Groups, type Principal } from '../domain/principal.js';
import { entitiesById, readableCounts } from '../store/entity.js';
import type { RowOf } from '../store/schema.js';
import { getTracked, type TrackedRow } from '../store/tracked.js';
import type { Unit } from './unit.js';

export const groupsOf = (row: Pick<TrackedRow, 'read_groups' | 'modify_groups'>): Groups => ({
  read: JSON.parse(row.read_groups),
  modify: JSON.parse(row.modify_groups),
});

/** The row when the caller may read it; 404 otherwise, so unreadable objects do not reveal they exist. */
export async function readable<T extends WorkflowType>(
  unit: Unit,
  type: T,
  id: number,
  options: { includeDeleted?: boolean } = {},
): Promise<RowOf<T>> {
  const row = await getTracked(unit.db, type, id, options);
  if (!row || !canRead(unit.who, groupsOf(row))) throw notFound(type, id);
  return row;
}

/**
 * Checks the caller may see an entity: an admin always, anyone else when it appears in something their groups read;
 * 404 otherwise, so a value never leaks. Entities have no groups of their own.
 */
export async function visibleEntity(unit: Unit, id: number): Promise<void> {
  const [row] = await entitiesById(unit.db, [id]);
  if (row && unit.who.admin) return;
  const counts = row ? await readableCounts(unit.db, unit.rules, [id], unit.who.groups) : new Map();
  if (!counts.get(id)) throw notFound('entity', id);
}

/** Checks the caller may read the object entries are written on (404 otherwise): a workflow object, or an entity. */
export async function readableTarget(unit: Unit, type: EntryTargetType, id: number): Promise<void> {
  if (type === 'entity') await visibleEntity(unit, id);
  else await readable(unit, type, id);
}

/** The row when the caller may change it: 404 when unreadable, 403 when readable only. */
export async function modifiable<T extends WorkflowType>(
  unit: Unit,
  type: T,
  id: number,
  options: { includeDeleted?: boolean } = {},
): Promise<RowOf<T>> {
  const row = await readable(unit, type, id, options);
  assertModify(unit, type, row);
  return row;
}

function assertModify(unit: Unit, type: string, row: TrackedRow) {
  if (!canModify(unit.who, groupsOf(row))) {
    throw forbidden(`${unit.who.username} may read ${type} ${row.id} but not change it`);
  }
}

/**
 * The groups a new object gets: those asked for, else those of its parent, else the configured
 * default groups. A poster in none of the default modify groups also gets its own groups, so it
 * can read and change what it posted; the admin group is not added, as admins see everything.
 */
export function groupsForNew(unit: Unit, asked: Partial<Groups> | undefined, parent?: Groups): Groups {
  const fallback = parent ?? defaultGroupsFor(unit);
  return {
    read: dedupe(asked?.read ?? fallback.read),
    modify: dedupe(asked?.modify ?? fallback.modify),
  };
}

function defaultGroupsFor(unit: Unit): Groups {
  const { defaultGroups, adminGroup } = unit.app.config;
  const own = unit.who.groups.filter((g) => g !== adminGroup);
  if (own.some((g) => defaultGroups.modify.includes(g))) return defaultGroups;
  return { read: [...defaultGroups.read, ...own], modify: [...defaultGroups.modify, ...own] };
}

/** Refuses callers who are not admins: `what` they tried, as in "only admins create users". */
export function adminOnly(who: Principal, what: string) {
  if (!who.admin) throw forbidden(`only admins ${what}`);
}

export const dedupe = <T>(values: readonly T[]): T[] => [...new Set(values)];

export const groupColumns = (groups: Groups) => ({
  read_groups: JSON.stringify(groups.read),
  modify_groups: JSON.stringify(groups.modify),
});
