import type { EventRow } from '../store/schema.js';
import { idsBy } from '../store/tracked.js';
import { setOwnStatus, type Noun } from './noun.js';
import type { Unit } from './unit.js';
import { entryCounts, trackedRecords, viewedRecords, type TrackedRecord, type ViewedRecord } from './view.js';

/** An event as the API answers it. */
export interface EventRecord extends TrackedRecord, ViewedRecord {
  subject: string;
  promotion_id: number | null;
  view_count: number;
  entry_count: number;
  /** The alerts promoted into it. */
  promoted_from: number[];
  alert_count: number;
}

/** Events as the API answers them. */
async function presentEvents(unit: Unit, rows: EventRow[]): Promise<EventRecord[]> {
  const [tracked, viewed, entries, alerts] = await Promise.all([
    trackedRecords(unit, 'event', rows),
    viewedRecords(unit, 'event', rows),
    entryCounts(unit, 'event', rows),
    idsBy(
      unit.db,
      'alert',
      'promotion_id',
      rows.map((r) => r.id),
    ),
  ]);
  return rows.map((row) => {
    const from = alerts.get(row.id) ?? [];
    return {
      ...tracked(row),
      subject: row.subject,
      promotion_id: row.promotion_id,
      view_count: row.view_count,
      entry_count: entries.get(row.id) ?? 0,
      promoted_from: from,
      alert_count: from.length,
      ...viewed(row),
    };
  });
}

/** An event is what alerts are promoted into, and is itself promoted into an incident. */
export const eventNoun: Noun<'event'> = {
  plainFields: ['subject', 'owner', 'tlp'],
  present: presentEvents,
  setStatus: (unit, row, status) => setOwnStatus(unit, 'event', row, status),
};
