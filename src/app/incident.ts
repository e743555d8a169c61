import { INCIDENT_FIELDS } from '../domain/input/incident.js';
import type { IncidentRow } from '../store/schema.js';
import { idsBy } from '../store/tracked.js';
import { setOwnStatus, type Noun } from './noun.js';
import type { Unit } from './unit.js';
import { entryCounts, trackedRecords, viewedRecords, type TrackedRecord, type ViewedRecord } from './view.js';

/** An incident as the API answers it. */
export interface IncidentRecord extends TrackedRecord, ViewedRecord {
  subject: string;
  type: string | null;
  category: string | null;
  sensitivity: string | null;
  security_category: string | null;
  reportable: number;
  occurred: number | null;
  discovered: number | null;
  reported: number | null;
  closed: number | null;
  view_count: number;
  entry_count: number;
  /** The events promoted into it. */
  promoted_from: number[];
  /** The same, by the name SCOT 3 clients read. */
  events: number[];
  event_count: number;
}

/** Incidents as the API answers them. */
async function presentIncidents(unit: Unit, rows: IncidentRow[]): Promise<IncidentRecord[]> {
  const [tracked, viewed, entries, events] = await Promise.all([
    trackedRecords(unit, 'incident', rows),
    viewedRecords(unit, 'incident', rows),
    entryCounts(unit, 'incident', rows),
    idsBy(
      unit.db,
      'event',
      'promotion_id',
      rows.map((r) => r.id),
    ),
  ]);
  return rows.map((row) => {
    const from = events.get(row.id) ?? [];
    return {
      ...tracked(row),
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
      entry_count: entries.get(row.id) ?? 0,
      promoted_from: from,
      events: from,
      event_count: from.length,
      ...viewed(row),
    };
  });
}

/** An incident is what events are promoted into; closing it stamps when it first closed. */
export const incidentNoun: Noun<'incident'> = {
  plainFields: ['subject', 'owner', 'tlp', ...INCIDENT_FIELDS],
  present: presentIncidents,
  setStatus: (unit, row, status) =>
    setOwnStatus(unit, 'incident', row, status, status === 'closed' && row.closed === null ? { closed: unit.now } : {}),
};
