import type { WorkflowType } from '../domain/catalog.js';
import type { RowOf } from '../store/schema.js';
import { alertNoun } from './alert.js';
import { alertgroupNoun } from './alertgroup.js';
import { entryNoun } from './entry.js';
import { eventNoun } from './event.js';
import { incidentNoun } from './incident.js';
import type { Noun, RecordOf } from './noun.js';
import type { Unit } from './unit.js';

/** Each workflow type's noun: a new type adds its file and a line here. */
export const NOUNS: { [T in WorkflowType]: Noun<T> } = {
  alertgroup: alertgroupNoun,
  alert: alertNoun,
  event: eventNoun,
  incident: incidentNoun,
  entry: entryNoun,
};

/** Turns stored rows into API records, loading tags, sources and counts for the whole page at once. */
export async function present<T extends WorkflowType>(unit: Unit, type: T, rows: RowOf<T>[]): Promise<RecordOf<T>[]> {
  if (rows.length === 0) return [];
  const noun: Noun<T> = NOUNS[type];
  return noun.present(unit, rows);
}

/** One stored row as its API record. */
export async function presentOne<T extends WorkflowType>(unit: Unit, type: T, row: RowOf<T>): Promise<RecordOf<T>> {
  return (await present(unit, type, [row]))[0];
}
