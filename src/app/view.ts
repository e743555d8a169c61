import type { WorkflowType } from '../domain/catalog.js';
import { labelsOf } from '../store/label.js';
import { countBy, idsBy, type TrackedRow } from '../store/tracked.js';
import { groupsOf } from './access.js';
import type { Unit } from './unit.js';

export type Record_ = Record<string, unknown>;

/** Turns stored rows into API records, loading tags, sources and counts for the whole page at once. */
export async function present(unit: Unit, type: WorkflowType, rows: TrackedRow[], columns?: string[]): Promise<Record_[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [tags, sources, entryCounts, promotedFrom] = await Promise.all([
    labelsOf(unit.db, 'tag', type, ids),
    labelsOf(unit.db, 'source', type, ids),
    type === 'entry' ? countBy(unit.db, 'entry', 'parent_id', ids) : countBy(unit.db, 'entry', 'target_id', ids, { target_type: type }),
    type === 'event' ? idsBy(unit.db, 'alert', 'promotion_id', ids) : type === 'incident' ? idsBy(unit.db, 'event', 'promotion_id', ids) : undefined,
  ]);
  return rows.map((row) => {
    const record: Record_ = {
      id: row.id,
      ...typeFields(type, row),
      status: row.status,
      tlp: row.tlp,
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
        occurred: row.occurred,
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
        security_category: row.security_category,
        reportable: row.reportable,
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
        task: row.task_status ? { status: row.task_status, who: row.task_who, when: row.task_when } : null,
      };
  }
}

function pick(record: Record_, columns: string[]): Record_ {
  const out: Record_ = { id: record.id };
  for (const c of columns) if (c in record) out[c] = record[c];
  return out;
}
