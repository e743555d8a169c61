import { WORKFLOW_TYPES, type EntryTargetType, type WorkflowType } from '../domain/catalog.js';
import { lockEntity } from '../store/entity.js';
import type { RowOf } from '../store/schema.js';
import { getTrackedMany, lockTracked } from '../store/tracked.js';
import type { Unit } from './unit.js';

/**
 * What a change to a row of each type may also update: an alert's alertgroup (its counters and
 * status), an entry's object (its one summary, its updated time).
 */
const PARENT_OF: { [T in WorkflowType]?: (row: RowOf<T>) => { type: WorkflowType | EntryTargetType; id: number } } = {
  alert: (row) => ({ type: 'alertgroup', id: row.alertgroup_id }),
  entry: (row) => ({ type: row.target_type as EntryTargetType, id: row.target_id }),
};

/**
 * Locks the rows a use case is about to decide on and change, with their parents, for the rest of
 * its transaction. Every use case locks in one order, that of WORKFLOW_TYPES (an alertgroup before
 * its alerts, alerts before the event they are promoted to, events before their incident, an object
 * before its entries; an entity before the entries on it) and by id within a type, so two of them wait for each other
 * but never deadlock.
 * Read the rows after this: they are then as the last transaction holding the locks left them.
 */
export async function lockForChange<T extends WorkflowType>(unit: Unit, type: T, ids: readonly number[]): Promise<void> {
  const parentOf: ((row: RowOf<T>) => { type: WorkflowType | EntryTargetType; id: number }) | undefined = PARENT_OF[type];
  if (parentOf) {
    // Read unlocked: an alert's alertgroup and an entry's object never change.
    const parents = (await getTrackedMany(unit.db, type, ids, { includeDeleted: true })).map(parentOf);
    const entityIds = parents.filter((p) => p.type === 'entity').map((p) => p.id);
    await lockEntity(unit.db, unit.rules, entityIds);
    for (const parentType of WORKFLOW_TYPES) {
      const parentIds = parents.filter((p) => p.type === parentType).map((p) => p.id);
      await lockTracked(unit.db, unit.rules, parentType, parentIds);
    }
  }
  await lockTracked(unit.db, unit.rules, type, ids);
}
