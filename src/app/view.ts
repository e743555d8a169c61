import type { WorkflowType } from '../domain/catalog.js';
import type { Groups } from '../domain/principal.js';
import type { ChangeRecord } from '../store/change.js';
import { labelsOf } from '../store/label.js';
import { countBy, type TrackedRow } from '../store/tracked.js';
import { viewHistoryOf, type ViewedType } from '../store/view.js';
import { groupsOf } from './access.js';
import type { Unit } from './unit.js';

/** What every workflow record has, whatever its type. */
export interface TrackedRecord {
  id: number;
  status: string;
  tlp: string;
  owner: string;
  created: number;
  updated: number;
  rev: number;
  tag: string[];
  source: string[];
  groups: Groups;
  /** When it was deleted; only on a deleted object. */
  deleted?: number;
}

/** How often, and by whom last, an alertgroup, event or incident was opened. */
export interface ViewedRecord {
  /** SCOT 3 called the count `views`. */
  views: number;
  view_history: Record<string, { when: number; where: string }>;
}

/** A change of the change log as history and audit show it. */
export interface ChangeView {
  seq: number;
  when: number;
  who: string;
  action: string;
  type: string;
  id: number;
  diff: unknown;
}

/** What a write did, in the words SCOT 3 clients read: `action` is the HTTP verb's name, `thing` the type. */
export type WriteAction = 'post' | 'put' | 'delete' | 'undelete';

/** The answer to a write, wrapping the record it resulted in. */
export interface Written<R> {
  id: number;
  action: WriteAction;
  thing: string;
  status: 'ok';
  pid?: unknown;
  record: R;
}

/**
 * The answer to a write, as SCOT 3 gave it (its mail ingester and scripts check `status` "ok"), with the
 * resulting object under `record` so newer clients need no second request. `pid` is the event or
 * incident a promotion went to.
 */
export function written<R extends { id: number }>(action: WriteAction, thing: string, record: R, pid?: unknown): Written<R> {
  return { id: record.id, action, thing, status: 'ok', ...(pid === undefined ? {} : { pid }), record };
}

/** The shared part of the records of a page of rows, loading their tags and sources at once. */
export async function trackedRecords(
  unit: Unit,
  type: WorkflowType,
  rows: TrackedRow[],
): Promise<(row: TrackedRow) => TrackedRecord> {
  const ids = rows.map((r) => r.id);
  const [tags, sources] = await Promise.all([labelsOf(unit.db, 'tag', type, ids), labelsOf(unit.db, 'source', type, ids)]);
  return (row) => ({
    id: row.id,
    status: row.status,
    tlp: row.tlp,
    owner: row.owner,
    created: row.created,
    updated: row.updated,
    rev: row.rev,
    tag: tags.get(row.id) ?? [],
    source: sources.get(row.id) ?? [],
    groups: groupsOf(row),
    ...(row.deleted_at === null ? {} : { deleted: row.deleted_at }),
  });
}

/** Who opened each of a page of objects, for their records. */
export async function viewedRecords<R extends TrackedRow & { view_count: number }>(
  unit: Unit,
  type: ViewedType,
  rows: R[],
): Promise<(row: R) => ViewedRecord> {
  const history = await viewHistoryOf(
    unit.db,
    type,
    rows.map((r) => r.id),
  );
  return (row) => ({ views: row.view_count, view_history: history.get(row.id) ?? {} });
}

/** How many entries are written on each of a page of objects. */
export const entryCounts = (unit: Unit, type: WorkflowType, rows: TrackedRow[]) =>
  countBy(
    unit.db,
    'entry',
    'target_id',
    rows.map((r) => r.id),
    { target_type: type },
  );

/** A change of the change log as history and audit show it. */
export const presentChange = (c: ChangeRecord): ChangeView => ({
  seq: c.seq,
  when: c.at,
  who: c.who,
  action: c.action,
  type: c.type,
  id: c.target_id,
  diff: c.diff,
});
