import type { WorkflowType } from '../domain/catalog.js';
import type { ChangeRecord } from '../store/change.js';
import { flairOf, type FlairTarget } from '../store/entity.js';
import { labelsOf } from '../store/label.js';
import { countBy, idsBy, trackedById, type TrackedRow } from '../store/tracked.js';
import { isViewed, viewHistoryOf } from '../store/view.js';
import { dedupe, groupsOf } from './access.js';
import { flairIsCurrent } from './flair.js';
import type { Unit } from './unit.js';

export type Record_ = Record<string, unknown>;

/** What a write did, in the words SCOT 3 clients read: `action` is the HTTP verb's name, `thing` the type. */
export type WriteAction = 'post' | 'put' | 'delete' | 'undelete';

/**
 * The answer to a write, as SCOT 3 gave it (its mail ingester and scripts check `status` "ok"), with the
 * resulting object under `record` so newer clients need no second request. `pid` is the event or
 * incident a promotion went to.
 */
export function written(action: WriteAction, thing: string, record: Record_, pid?: unknown): Record_ {
  return { id: record.id, action, thing, status: 'ok', ...(pid === undefined ? {} : { pid }), record };
}

/** Turns stored rows into API records, loading tags, sources and counts for the whole page at once. */
export async function present(unit: Unit, type: WorkflowType, rows: TrackedRow[], columns?: string[]): Promise<Record_[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [tags, sources, entryCounts, promotedFrom, viewHistory, alertgroups, flairs] = await Promise.all([
    labelsOf(unit.db, 'tag', type, ids),
    labelsOf(unit.db, 'source', type, ids),
    type === 'entry' ? countBy(unit.db, 'entry', 'parent_id', ids) : countBy(unit.db, 'entry', 'target_id', ids, { target_type: type }),
    type === 'event' ? idsBy(unit.db, 'alert', 'promotion_id', ids) : type === 'incident' ? idsBy(unit.db, 'event', 'promotion_id', ids) : undefined,
    isViewed(type) ? viewHistoryOf(unit.db, type, ids) : undefined,
    type === 'alert' ? trackedById(unit.db, 'alertgroup', dedupe(rows.map((r) => r.alertgroup_id))) : undefined,
    type === 'alert' || type === 'entry' ? flairOf(unit.db, type, ids) : undefined,
  ]);
  return rows.map((row) => {
    const record: Record_ = {
      id: row.id,
      ...typeFields(type, row),
      status: row.status,
      owner: row.owner,
      created: row.created,
      updated: row.updated,
      rev: row.rev,
      tag: tags.get(row.id) ?? [],
      source: sources.get(row.id) ?? [],
      groups: groupsOf(row),
      [type === 'entry' ? 'reply_count' : 'entry_count']: entryCounts.get(row.id) ?? 0,
    };
    if (promotedFrom) {
      const from = promotedFrom.get(row.id) ?? [];
      record.promoted_from = from;
      record[type === 'event' ? 'alert_count' : 'event_count'] = from.length;
    }
    if (alertgroups) {
      // SCOT 3 clients read an alert's subject and column order on the alert itself.
      const group = alertgroups.get(row.alertgroup_id)!;
      record.subject = group.subject;
      record.columns = JSON.parse(group.columns);
    }
    if (viewHistory) {
      // SCOT 3 called the count `views`.
      record.views = row.view_count;
      record.view_history = viewHistory.get(row.id) ?? {};
    }
    if (flairs) Object.assign(record, presentFlair(type as FlairTarget, row, flairs.get(row.id)));
    if (row.deleted_at !== null) record.deleted = row.deleted_at;
    return columns ? pick(record, columns) : record;
  });
}

export async function presentOne(unit: Unit, type: WorkflowType, row: TrackedRow): Promise<Record_> {
  return (await present(unit, type, [row]))[0];
}

function typeFields(type: WorkflowType, row: TrackedRow): Record_ {
  switch (type) {
    case 'alertgroup':
      return {
        message_id: row.message_id,
        subject: row.subject,
        columns: JSON.parse(row.columns),
        alert_count: row.alert_count,
        open_count: row.open_count,
        closed_count: row.closed_count,
        promoted_count: row.promoted_count,
        view_count: row.view_count,
      };
    case 'alert':
      return { alertgroup: row.alertgroup_id, data: JSON.parse(row.data), promotion_id: row.promotion_id };
    case 'event':
      return { subject: row.subject, promotion_id: row.promotion_id, view_count: row.view_count };
    case 'incident':
      return {
        subject: row.subject,
        type: row.type,
        category: row.category,
        sensitivity: row.sensitivity,
        occurred: row.occurred,
        discovered: row.discovered,
        reported: row.reported,
        closed: row.closed,
        view_count: row.view_count,
      };
    case 'entry':
      return {
        target: { type: row.target_type, id: row.target_id },
        target_type: row.target_type,
        target_id: row.target_id,
        parent: row.parent_id,
        body: row.body,
        class: row.class,
        task: taskOf(row),
        // SCOT 3 clients read a task's state here.
        metadata: row.task_status ? { task: taskOf(row) } : {},
      };
  }
}

/** A change of the change log as history and audit show it. */
export const presentChange = (c: ChangeRecord): Record_ => ({
  seq: c.seq, when: c.at, who: c.who, action: c.action, type: c.type, id: c.target_id, diff: c.diff,
});

/**
 * Whether flair has caught up with the object's text, and the flaired HTML under SCOT 3's names
 * (`data_with_flair` cells, `body_flair`); null while pending. The stored text is served unchanged beside it.
 */
function presentFlair(type: FlairTarget, row: TrackedRow, stored: { source_hash: string; html: string } | undefined): Record_ {
  const done = flairIsCurrent(type, row, stored);
  const html = done ? stored!.html : null;
  return type === 'alert'
    ? { flair: done ? 'done' : 'pending', data_with_flair: html === null ? null : JSON.parse(html) }
    : { flair: done ? 'done' : 'pending', body_flair: html };
}

const taskOf = (row: TrackedRow) => (row.task_status ? { status: row.task_status, who: row.task_who, when: row.task_when } : null);

function pick(record: Record_, columns: string[]): Record_ {
  const out: Record_ = { id: record.id };
  for (const c of columns) if (c in record) out[c] = record[c];
  return out;
}
