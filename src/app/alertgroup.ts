import type { AlertgroupInput } from '../domain/input/alertgroup.js';
import { canRead, type Groups, type Principal } from '../domain/principal.js';
import { alertgroupStatus, type SettableStatus } from '../domain/status.js';
import {
  alertgroupsByMessageIds,
  alertIdsOfEach,
  alertIdsWithStatus,
  alertStatusCounts,
  updateAlertsAndEntries,
} from '../store/alertgroup.js';
import type { AlertgroupRow } from '../store/schema.js';
import { getTracked, insertTrackedMany, touchTracked, updateTrackedWhere } from '../store/tracked.js';
import { dedupe, groupColumns, groupsForNew, groupsOf } from './access.js';
import type { App } from './context.js';
import { GroupCommit } from './group-commit.js';
import { attachLabelsEach, labelNames } from './label.js';
import type { Noun } from './noun.js';
import type { Unit } from './unit.js';
import { entryCounts, trackedRecords, viewedRecords, type TrackedRecord, type ViewedRecord } from './view.js';

/** An alertgroup as the API answers it. */
export interface AlertgroupRecord extends TrackedRecord, ViewedRecord {
  message_id: string | null;
  subject: string;
  columns: string[];
  alert_count: number;
  open_count: number;
  closed_count: number;
  promoted_count: number;
  view_count: number;
  occurred: number | null;
  entry_count: number;
}

export interface IngestResult {
  id: number;
  alerts: number[];
  /** False when the message_id was already known and the existing alertgroup is returned. */
  created: boolean;
}

/** Bounds the size of one multi-row insert, well under SQLite's and PostgreSQL's parameter limits. */
const ALERT_INSERT_CHUNK = 500;

/**
 * Lets the event loop answer other requests. better-sqlite3 works synchronously, so a large
 * alertgroup stored in one go would hold every request for seconds; the transaction stays open
 * across the pause (other queries wait for its connection), so it is still stored whole or not at all.
 */
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Column names: those given, then any key the rows have that they miss, in first-seen order. */
export function alertgroupColumns(data: readonly Record<string, unknown>[], given: readonly string[] = []): string[] {
  const columns = new Set(given);
  for (const row of data) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

/** Rows one shared ingest transaction takes at most, so a huge alertgroup does not stall many small ones. */
const MAX_ROWS_PER_COMMIT = 2000;

const committers = new WeakMap<App, GroupCommit<AlertgroupInput, IngestResult>>();

function committer(app: App) {
  let c = committers.get(app);
  if (!c) {
    // Alone (a lone post, or the retry of a failed batch) is the same work on a batch of one.
    const work = {
      one: async (unit: Unit, input: AlertgroupInput) => (await insertAlertgroups([unit], [input]))[0],
      many: insertAlertgroups,
    };
    committers.set(app, (c = new GroupCommit(app, work, MAX_ROWS_PER_COMMIT, (input) => input.data.length)));
  }
  return c;
}

/**
 * Stores an alertgroup and one alert per data row, or returns the one already stored under its
 * message_id. Concurrent ingests share their transactions (group commit) on either engine. It
 * resolves only once committed: an accepted alert is never lost.
 */
export async function ingestAlertgroup(app: App, who: Principal, input: AlertgroupInput): Promise<IngestResult> {
  return committer(app).run(who, input);
}

/** What serializes the check-then-insert of one message_id across transactions and API nodes. */
const messageIdLock = (messageId: string) => `alertgroup.message_id:${messageId}`;

/** An alertgroup to store: its row, and what its alerts share of it. */
function newAlertgroup(unit: Unit, input: AlertgroupInput) {
  const { now } = unit;
  const groups = groupColumns(groupsForNew(unit, input.groups));
  const owner = input.owner ?? unit.who.username;
  const tlp = input.tlp ?? 'unset';
  const row = {
    message_id: input.message_id ?? null,
    subject: input.subject,
    columns: JSON.stringify(alertgroupColumns(input.data, input.columns)),
    status: input.data.length > 0 ? 'open' : 'closed',
    owner,
    created: now,
    updated: now,
    alert_count: input.data.length,
    open_count: input.data.length,
    closed_count: 0,
    promoted_count: 0,
    tlp,
    occurred: input.occurred ?? null,
    body: input.body ?? null,
    body_plain: input.body_plain ?? null,
    ...groups,
  };
  const alerts = (alertgroup_id: number) =>
    input.data.map((data) => ({
      alertgroup_id,
      data: JSON.stringify(data),
      status: 'open',
      owner,
      created: now,
      updated: now,
      tlp,
      ...groups,
    }));
  return { row, alerts };
}

/**
 * Inserts alertgroup or alert rows in chunks, letting other requests in between chunks; their ids
 * in order. Several alertgroups' rows may share a chunk.
 */
async function insertInChunks(unit: Unit, type: 'alertgroup' | 'alert', rows: Record<string, unknown>[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += ALERT_INSERT_CHUNK) {
    if (i > 0) await pause();
    ids.push(...(await insertTrackedMany(unit.db, type, rows.slice(i, i + ALERT_INSERT_CHUNK))));
  }
  return ids;
}

/** One change for the alertgroup and all its alerts: it names them, and their histories share it. */
function recordIngest(unit: Unit, input: AlertgroupInput, id: number, alerts: number[]) {
  unit.record('alertgroup', id, 'create', {
    subject: input.subject,
    message_id: input.message_id ?? null,
    alert_count: alerts.length,
    alerts,
    tag: labelNames(input.tag),
    source: labelNames(input.source),
  });
}

/**
 * Stores alertgroups in one transaction, each with one alert per data row, in one statement per
 * table; or answers with the one stored before under its message_id that its poster can read or
 * owns (the oldest, if several), earlier in this batch included. Dedup is scoped so: a poster who
 * cannot read the earlier alertgroup gets one of its own, and the answer never tells it that an
 * alertgroup it cannot read exists. Owning counts so that a detection system in no group, which
 * cannot read what it posts, still has its reposts deduplicated. Locks come first, in one order:
 * every message_id's (sorted by the lock; they make check-then-insert atomic across API nodes
 * sharing one PostgreSQL database), then the new labels' (sorted by name, in `attachLabelsEach`).
 */
async function insertAlertgroups(units: Unit[], inputs: AlertgroupInput[]): Promise<IngestResult[]> {
  const [{ db, rules }] = units;
  const messageIds = dedupe(inputs.flatMap((input) => (input.message_id ? [input.message_id] : [])));
  const lock = rules.transactionLocks(messageIds.map(messageIdLock));
  if (lock) await lock.execute(db);
  // Who may be answered with what: alertgroups stored before (oldest first), then those of this batch in turn.
  const known: { messageId: string | null; owner: string; groups: Groups; answer: { stored: number } | { input: number } }[] = (
    await alertgroupsByMessageIds(db, messageIds)
  ).map((r) => ({ messageId: r.message_id, owner: r.owner, groups: groupsOf(r), answer: { stored: r.id } }));
  const answers = inputs.map((input, i) => {
    const who = units[i].who;
    const earlier = known.find(
      (k) => input.message_id && k.messageId === input.message_id && (canRead(who, k.groups) || k.owner === who.username),
    );
    if (earlier) return earlier.answer;
    const fresh = newAlertgroup(units[i], input);
    known.push({ messageId: fresh.row.message_id, owner: fresh.row.owner, groups: groupsOf(fresh.row), answer: { input: i } });
    return fresh;
  });
  const fresh = answers.flatMap((a, i) => ('row' in a ? [{ i, ...a }] : []));
  const ids = await insertInChunks(
    units[0],
    'alertgroup',
    fresh.map((f) => f.row),
  );
  const alertRows = fresh.map((f, n) => f.alerts(ids[n]));
  const alertIds = await insertInChunks(units[0], 'alert', alertRows.flat());
  const results: IngestResult[] = [];
  let next = 0;
  fresh.forEach((f, n) => {
    const alerts = alertIds.slice(next, (next += alertRows[n].length));
    results[f.i] = { id: ids[n], alerts, created: true };
  });
  if (fresh.length > 0) {
    const targets = fresh.map((f) => ({ id: results[f.i].id, labels: { tag: inputs[f.i].tag, source: inputs[f.i].source } }));
    await attachLabelsEach(units[fresh[0].i], 'alertgroup', targets);
  }
  // After the labels it creates: an alertgroup's creation is the newest change of its post (SCOT 3's audit.t).
  for (const f of fresh) recordIngest(units[f.i], inputs[f.i], results[f.i].id, results[f.i].alerts);
  const stored = answers.flatMap((a) => ('stored' in a ? [a.stored] : []));
  const alertsOfStored = await alertIdsOfEach(db, stored);
  return answers.map((a, i) => {
    if ('stored' in a) return { id: a.stored, alerts: alertsOfStored.get(a.stored)!, created: false };
    if ('input' in a) return { ...results[a.input], created: false };
    return results[i];
  });
}

/**
 * Re-derives an alertgroup's counts and status from its alerts, logging a status change.
 * Called in the same transaction as any change to its alerts, which holds the alertgroup's lock
 * (`lockForChange`): no other transaction changes its alerts meanwhile, so the recount is exact.
 */
export async function refreshAlertgroup(unit: Unit, alertgroupId: number): Promise<void> {
  const byStatus = await alertStatusCounts(unit.db, alertgroupId);
  const counts = {
    open: byStatus.get('open') ?? 0,
    closed: byStatus.get('closed') ?? 0,
    promoted: byStatus.get('promoted') ?? 0,
  };
  const group = (await getTracked(unit.db, 'alertgroup', alertgroupId, { includeDeleted: true }))!;
  const status = alertgroupStatus(counts);
  const alertCount = counts.open + counts.closed + counts.promoted;
  if (
    status === group.status &&
    counts.open === group.open_count &&
    counts.closed === group.closed_count &&
    counts.promoted === group.promoted_count &&
    alertCount === group.alert_count
  ) {
    return;
  }
  // Derived from its alerts, not set on the alertgroup: a save of its subject based on the last revision still applies.
  await touchTracked(unit.db, 'alertgroup', alertgroupId, {
    status,
    open_count: counts.open,
    closed_count: counts.closed,
    promoted_count: counts.promoted,
    alert_count: alertCount,
    updated: unit.now,
  });
  if (status !== group.status) unit.record('alertgroup', alertgroupId, 'update', { status: [group.status, status] });
}

/**
 * Closing an alertgroup closes its open alerts; reopening reopens its closed ones.
 * Promoted alerts keep their promotion either way.
 */
async function setAlertgroupStatus(unit: Unit, group: AlertgroupRow, status: SettableStatus): Promise<void> {
  const from = status === 'closed' ? 'open' : 'closed';
  const changed = await alertIdsWithStatus(unit.db, group.id, from);
  if (changed.length === 0) return;
  await updateTrackedWhere(unit.db, 'alert', 'alertgroup_id', group.id, { status, updated: unit.now }, (eb) =>
    eb.and([eb('status', '=', from), eb('deleted_at', 'is', null)]),
  );
  for (const id of changed) unit.record('alert', id, 'update', { status: [from, status] });
  await refreshAlertgroup(unit, group.id);
}

/** Alertgroups as the API answers them. */
async function presentAlertgroups(unit: Unit, rows: AlertgroupRow[]): Promise<AlertgroupRecord[]> {
  const [tracked, viewed, entries] = await Promise.all([
    trackedRecords(unit, 'alertgroup', rows),
    viewedRecords(unit, 'alertgroup', rows),
    entryCounts(unit, 'alertgroup', rows),
  ]);
  return rows.map((row) => ({
    ...tracked(row),
    message_id: row.message_id,
    subject: row.subject,
    columns: JSON.parse(row.columns),
    alert_count: row.alert_count,
    open_count: row.open_count,
    closed_count: row.closed_count,
    promoted_count: row.promoted_count,
    view_count: row.view_count,
    occurred: row.occurred,
    entry_count: entries.get(row.id) ?? 0,
    ...viewed(row),
  }));
}

/**
 * An alertgroup's status follows its alerts, and its alerts and the entries on them share what
 * happens to it as a whole (its groups, its deletion, its return); otherwise they would stay
 * listed, or readable by the old groups, while their alertgroup is gone or moved.
 */
export const alertgroupNoun: Noun<'alertgroup'> = {
  plainFields: ['subject', 'owner', 'tlp'],
  present: presentAlertgroups,
  setStatus: setAlertgroupStatus,
  onRegroup: (unit, row, after) =>
    updateAlertsAndEntries(unit.db, row.id, groupColumns(after), (eb) =>
      eb.and([eb('read_groups', '=', row.read_groups), eb('modify_groups', '=', row.modify_groups)]),
    ),
  onDelete: (unit, row) =>
    updateAlertsAndEntries(unit.db, row.id, { deleted_at: unit.now }, (eb) => eb('deleted_at', 'is', null)),
  async onRestore(unit, row, stamp) {
    await updateAlertsAndEntries(unit.db, row.id, { deleted_at: null }, (eb) => eb('deleted_at', '=', stamp));
    await refreshAlertgroup(unit, row.id);
  },
};
