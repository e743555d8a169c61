import { promotedAlertsHtml } from '../domain/alert.js';
import { conflict } from '../domain/error.js';
import type { AlertInput } from '../domain/input/alertgroup.js';
import type { Principal } from '../domain/principal.js';
import type { SettableStatus } from '../domain/status.js';
import { flairOf } from '../store/entity.js';
import type { AlertRow } from '../store/schema.js';
import { getTracked, getTrackedMany, insertTracked, trackedById, updateTracked } from '../store/tracked.js';
import { dedupe, modifiable } from './access.js';
import { alertgroupColumns, refreshAlertgroup } from './alertgroup.js';
import { defaultsOf, insertEntry } from './entry.js';
import { flairState } from './flair.js';
import type { Noun } from './noun.js';
import type { App } from './context.js';
import { lockForChange } from './lock.js';
import { inTransaction, type Unit } from './unit.js';
import { entryCounts, trackedRecords, type TrackedRecord } from './view.js';

/** An alert as the API answers it. */
export interface AlertRecord extends TrackedRecord {
  alertgroup: number;
  data: Record<string, unknown>;
  promotion_id: number | null;
  entry_count: number;
  /** Its alertgroup's: SCOT 3 clients read an alert's subject and column order on the alert itself. */
  subject: string;
  columns: string[];
  /** Whether flair has caught up with the data; then each cell as flaired HTML (SCOT 3's name), else null. */
  flair: 'pending' | 'done';
  data_with_flair: Record<string, string> | null;
}

/** Alerts as the API answers them. */
export async function presentAlerts(unit: Unit, rows: AlertRow[]): Promise<AlertRecord[]> {
  const [tracked, entries, alertgroups, flairs] = await Promise.all([
    trackedRecords(unit, 'alert', rows),
    entryCounts(unit, 'alert', rows),
    trackedById(unit.db, 'alertgroup', dedupe(rows.map((r) => r.alertgroup_id))),
    flairOf(
      unit.db,
      'alert',
      rows.map((r) => r.id),
    ),
  ]);
  return rows.map((row) => {
    const group = alertgroups.get(row.alertgroup_id)!;
    const { flair, html } = flairState('alert', row, flairs.get(row.id));
    return {
      ...tracked(row),
      alertgroup: row.alertgroup_id,
      data: JSON.parse(row.data),
      promotion_id: row.promotion_id,
      entry_count: entries.get(row.id) ?? 0,
      subject: group.subject,
      columns: JSON.parse(group.columns),
      flair,
      data_with_flair: html === null ? null : JSON.parse(html),
    };
  });
}

/** Sets an alert's status by hand (close or reopen); its alertgroup's status follows. */
async function setAlertStatus(unit: Unit, alert: AlertRow, status: SettableStatus): Promise<void> {
  if (alert.status === status) return;
  await updateTracked(unit.db, 'alert', alert.id, { status, updated: unit.now });
  unit.record('alert', alert.id, 'update', { status: [alert.status, status] });
  await refreshAlertgroup(unit, alert.alertgroup_id);
}

/** Writes on the event, per alertgroup, an entry holding the promoted alerts' rows as a table. */
async function recordPromotedAlerts(unit: Unit, eventId: number, alerts: AlertRow[]) {
  if (alerts.length === 0) return;
  const event = (await getTracked(unit.db, 'event', eventId))!;
  for (const group of await getTrackedMany(unit.db, 'alertgroup', dedupe(alerts.map((a) => a.alertgroup_id)))) {
    const rows = alerts.filter((a) => a.alertgroup_id === group.id).map((a) => ({ id: a.id, data: JSON.parse(a.data) }));
    const body = promotedAlertsHtml({ id: group.id, subject: group.subject, columns: JSON.parse(group.columns) }, rows);
    await insertEntry(unit, defaultsOf(event), { target_type: 'event', target_id: eventId, body });
  }
}

/**
 * An alert is a row of its alertgroup: it is created by the alertgroup's change, its status counts
 * in the alertgroup's, and it carries its subject and labels there.
 */
export const alertNoun: Noun<'alert'> = {
  plainFields: ['owner', 'tlp'],
  present: presentAlerts,
  setStatus: setAlertStatus,
  onDelete: (unit, row) => refreshAlertgroup(unit, row.alertgroup_id),
  async onRestore(unit, row) {
    const group = await getTracked(unit.db, 'alertgroup', row.alertgroup_id);
    if (!group)
      throw conflict(`alert ${row.id} belongs to deleted alertgroup ${row.alertgroup_id}; undelete that instead`, 'undelete');
    // An alert deleted on its own in the same second as its alertgroup comes back with it.
    await refreshAlertgroup(unit, row.alertgroup_id);
  },
  createdBy: (row) => ({ type: 'alertgroup', target_id: row.alertgroup_id }),
  origin: async (unit, rows) => ({
    type: 'alertgroup',
    rows: await getTrackedMany(unit.db, 'alertgroup', dedupe(rows.map((r) => r.alertgroup_id))),
  }),
  async promoted(unit, eventId, rows) {
    for (const groupId of dedupe(rows.map((r) => r.alertgroup_id))) await refreshAlertgroup(unit, groupId);
    await recordPromotedAlerts(unit, eventId, rows);
  },
};

/**
 * Adds one alert to an alertgroup already stored (SCOT 3's `POST /alert`). Alert data is evidence:
 * rows may be added, never edited. The alert takes its alertgroup's owner and groups, and its
 * marking unless it names one; a data key new to the alertgroup becomes one more column.
 */
export async function addAlert(app: App, who: Principal, input: AlertInput): Promise<AlertRecord> {
  return inTransaction(app, who, async (unit) => {
    // Locked first: its counters and columns are read, then written, with the new row.
    await lockForChange(unit, 'alertgroup', [input.alertgroup]);
    const group = await modifiable(unit, 'alertgroup', input.alertgroup);
    const id = await insertTracked(unit.db, 'alert', {
      alertgroup_id: group.id,
      data: JSON.stringify(input.data),
      status: 'open',
      owner: group.owner,
      created: unit.now,
      updated: unit.now,
      tlp: input.tlp ?? group.tlp,
      read_groups: group.read_groups,
      modify_groups: group.modify_groups,
    });
    const before: string[] = JSON.parse(group.columns);
    const columns = alertgroupColumns([input.data], [...before, ...(input.columns ?? [])]);
    if (columns.length > before.length)
      await updateTracked(unit.db, 'alertgroup', group.id, { columns: JSON.stringify(columns) });
    unit.record('alert', id, 'create', { alertgroup: group.id, data: input.data });
    unit.record('alertgroup', group.id, 'update', {
      alert_count: [group.alert_count, group.alert_count + 1],
      ...(columns.length > before.length ? { columns: [before, columns] } : {}),
    });
    await refreshAlertgroup(unit, group.id);
    return (await presentAlerts(unit, [(await getTracked(unit.db, 'alert', id))!]))[0];
  });
}
