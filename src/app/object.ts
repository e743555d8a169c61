import { LABEL_KINDS, type LabelKind, type WorkflowType } from '../domain/catalog.js';
import { badInput, conflict, notFound } from '../domain/error.js';
import type { LabelInput } from '../domain/input/common.js';
import type { EventInput } from '../domain/input/event.js';
import { INCIDENT_FIELDS, type IncidentInput } from '../domain/input/incident.js';
import type { Patch } from '../domain/input/patch.js';
import type { Groups, Principal } from '../domain/principal.js';
import type { SettableStatus } from '../domain/status.js';
import { changesOf } from '../store/change.js';
import { getLabel, labelsOf, unlinkAllLabels, unlinkLabel } from '../store/label.js';
import { getTracked, insertTracked, updateTracked, updateTrackedWhere, type TrackedRow } from '../store/tracked.js';
import { isViewed } from '../store/view.js';
import { dedupe, groupColumns, groupsForNew, groupsOf, modifiable, readable } from './access.js';
import { cascadeToAlerts, refreshAlertgroup, setAlertgroupStatus, setAlertStatus } from './alertgroup.js';
import type { App } from './context.js';
import { actOnTask, cascadeEntries, cascadeReplies, editEntryBody, editableEntry, setEntryClass } from './entry.js';
import { attachLabels, labelNames } from './label.js';
import { lockForChange } from './lock.js';
import { envelope, parsePage, type ListEnvelope, type RawQuery } from './list.js';
import { promotableRows, promote, PROMOTES_TO, type Promotable } from './promote.js';
import { inTransaction, reader, type Unit } from './unit.js';
import { presentChange, presentOne, type Record_ } from './view.js';
import { noteView } from './viewing.js';

/** Plain columns a PUT may set, per type. */
const PLAIN_FIELDS: Record<WorkflowType, readonly (keyof Patch)[]> = {
  alertgroup: ['subject', 'owner', 'tlp'],
  alert: ['owner', 'tlp'],
  event: ['subject', 'owner', 'tlp'],
  incident: ['subject', 'owner', 'tlp', ...INCIDENT_FIELDS],
  entry: ['tlp'],
};

/** A new event or incident; each takes the fields its schema allows. */
export type CaseInput = Partial<EventInput & IncidentInput>;

/** The object a use case changes, locked with what its change may update besides it, when the caller may change it. */
async function fetchAccess(unit: Unit, type: WorkflowType, id: number, includeDeleted = false): Promise<TrackedRow> {
  await lockForChange(unit, type, [id]);
  return type === 'entry' ? editableEntry(unit, id, { includeDeleted }) : modifiable(unit, type, id, { includeDeleted });
}

const reload = async (unit: Unit, type: WorkflowType, id: number) =>
  presentOne(unit, type, (await getTracked(unit.db, type, id, { includeDeleted: true }))!);

/**
 * One object the caller may read. Opening an alertgroup, event or incident from `address` counts as
 * a view, stored with the next flush of views.
 */
export async function getObject(app: App, who: Principal, type: WorkflowType, id: number, address = 'local'): Promise<Record_> {
  const unit = reader(app, who);
  const row = await readable(unit, type, id);
  if (isViewed(type)) noteView(app, who, type, id, address);
  return presentOne(unit, type, row);
}

/** Creates an event or incident by hand, or by promoting alerts (events) into a new one. */
export async function createCase(app: App, who: Principal, type: 'event' | 'incident', input: CaseInput): Promise<Record_> {
  return inTransaction(app, who, async (unit) => {
    const childType: Promotable = type === 'event' ? 'alert' : 'event';
    const own = type === 'incident' ? ['tlp', ...INCIDENT_FIELDS] as const : ['tlp'] as const;
    const extra = Object.fromEntries(own.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]));
    const fromIds = input.promote_from?.[childType];
    const wrongKind = Object.keys(input.promote_from ?? {}).find((k) => k !== childType);
    if (wrongKind) throw badInput(`promote_from.${wrongKind}`, `a ${type} is promoted from ${childType}s, not ${wrongKind}s`);
    let id: number;
    if (fromIds && fromIds.length > 0) {
      const rows = await promotableRows(unit, childType, fromIds);
      id = await promote(unit, childType, rows, 'new', { ...input, extra });
    } else {
      if (!input.subject) throw badInput('subject', `${type === 'event' ? 'an event' : 'an incident'} needs a subject`);
      const groups = groupsForNew(unit, input.groups);
      id = await insertTracked(unit.db, type, {
        subject: input.subject,
        status: input.status ?? 'open',
        owner: input.owner ?? who.username,
        created: unit.now,
        updated: unit.now,
        ...groupColumns(groups),
        ...extra,
      });
      await setLabels(unit, type, id, 'tag', input.tag ?? []);
      await setLabels(unit, type, id, 'source', input.source ?? []);
      unit.record(type, id, 'create', { subject: input.subject, tag: labelNames(input.tag), source: labelNames(input.source), groups, ...extra });
    }
    return reload(unit, type, id);
  });
}

async function setLabels(unit: Unit, type: WorkflowType, id: number, kind: LabelKind, labels: readonly LabelInput[]) {
  await unlinkAllLabels(unit.db, kind, type, id);
  await attachLabels(unit, type, [id], { [kind]: labels });
}

/** Applies a partial update: fields, labels, groups, status, promotion, entry class and task. */
export async function updateObject(app: App, who: Principal, type: WorkflowType, id: number, patch: Patch): Promise<Record_> {
  return inTransaction(app, who, async (unit) => {
    let row = await fetchAccess(unit, type, id, patch.undelete === true);
    if (patch.rev !== undefined && patch.rev !== row.rev) {
      throw conflict(`${type} ${id} was changed by someone else (revision ${row.rev}, yours ${patch.rev}); reload it`, 'rev');
    }
    if (patch.undelete && row.deleted_at !== null) {
      await restore(unit, type, row);
      row = (await getTracked(unit.db, type, id))!;
    }
    const diff: Record_ = {};
    const set: Record_ = {};
    for (const field of PLAIN_FIELDS[type]) {
      if (patch[field] !== undefined && patch[field] !== row[field]) {
        set[field] = patch[field];
        diff[field] = [row[field], patch[field]];
      }
    }
    if (patch.groups) Object.assign(diff, await changeGroups(unit, type, row, patch.groups, set));
    let relabelled = false;
    for (const kind of LABEL_KINDS) {
      const given = patch[kind];
      if (!given) continue;
      const before = (await labelsOf(unit.db, kind, type, [id])).get(id) ?? [];
      const after = labelNames(given).sort();
      if (before.join('\n') === after.join('\n')) continue;
      await setLabels(unit, type, id, kind, given);
      diff[kind] = [before, after];
      relabelled = true;
    }
    if (Object.keys(set).length > 0 || relabelled) await updateTracked(unit.db, type, id, { ...set, updated: unit.now });
    if (type === 'entry') {
      if (patch.body !== undefined) Object.assign(diff, await editEntryBody(unit, row, patch.body));
      if (patch.class !== undefined) Object.assign(diff, await setEntryClass(unit, row, patch.class));
    }
    if (Object.keys(diff).length > 0) unit.record(type, id, 'update', diff);
    if (patch.status !== undefined) await changeStatus(unit, type, (await getTracked(unit.db, type, id))!, patch.status);
    if (type === 'entry' && patch.task !== undefined) await actOnTask(unit, (await getTracked(unit.db, type, id))!, patch.task);
    if (patch.promote !== undefined) {
      if (!(type in PROMOTES_TO)) throw badInput('promote', `a ${type} cannot be promoted`);
      await promote(unit, type as Promotable, [(await getTracked(unit.db, type, id))!], patch.promote);
    }
    return reload(unit, type, id);
  });
}

async function changeStatus(unit: Unit, type: WorkflowType, row: TrackedRow, status: SettableStatus) {
  // A promoted alert or event lives on in what it was promoted to; reopening or closing it there
  // would leave it linked yet counted as open or closed.
  if (row.status === 'promoted' && row.promotion_id !== null && row.promotion_id !== undefined) {
    const parent = PROMOTES_TO[type as Promotable];
    throw conflict(`${type} ${row.id} is promoted to ${parent} ${row.promotion_id}; change the ${parent} instead`, 'status');
  }
  if (type === 'alert') return setAlertStatus(unit, row, status);
  if (type === 'alertgroup') return setAlertgroupStatus(unit, row, status);
  if (type === 'entry') throw badInput('status', 'an entry has no status of its own; use "class" or "task"');
  if (row.status === status) return;
  const set: Record_ = { status, updated: unit.now };
  const diff: Record_ = { status: [row.status, status] };
  if (type === 'incident' && status === 'closed' && row.closed === null) {
    set.closed = unit.now;
    diff.closed = [null, unit.now];
  }
  await updateTracked(unit.db, type, row.id, set);
  unit.record(type, row.id, 'update', diff);
}

/**
 * New groups for an object. An alertgroup's alerts share its groups, and entries that had the
 * object's old groups follow it, so that nobody loses sight of part of an object.
 */
async function changeGroups(unit: Unit, type: WorkflowType, row: TrackedRow, asked: Partial<Groups>, set: Record_) {
  const before = groupsOf(row);
  const after = { read: dedupe(asked.read ?? before.read), modify: dedupe(asked.modify ?? before.modify) };
  if (JSON.stringify(before) === JSON.stringify(after)) return {};
  Object.assign(set, groupColumns(after));
  if (type === 'alertgroup') {
    await cascadeToAlerts(unit, row.id, groupColumns(after), (eb) =>
      eb.and([eb('read_groups', '=', row.read_groups), eb('modify_groups', '=', row.modify_groups)]),
    );
  }
  if (type !== 'entry') {
    await updateTrackedWhere(unit.db, 'entry', 'target_id', row.id, groupColumns(after), (eb) =>
      eb.and([
        eb('target_type', '=', type),
        eb('read_groups', '=', row.read_groups),
        eb('modify_groups', '=', row.modify_groups),
      ]),
    );
  }
  return { groups: [before, after] };
}

/** Takes one tag or source off an object (SCOT 3's `DELETE /:type/:id/tag/:tag_id`). */
export async function unlabel(app: App, who: Principal, type: WorkflowType, id: number, kind: LabelKind, labelId: number): Promise<Record_> {
  return inTransaction(app, who, async (unit) => {
    await fetchAccess(unit, type, id);
    const label = await getLabel(unit.db, kind, labelId);
    if (!label || !(await unlinkLabel(unit.db, kind, type, id, labelId))) throw notFound(`${kind} ${labelId} on ${type}`, id);
    await updateTracked(unit.db, type, id, { updated: unit.now });
    const after = (await labelsOf(unit.db, kind, type, [id])).get(id) ?? [];
    unit.record(type, id, 'update', { [kind]: [[...after, label.name].sort(), after] });
    return reload(unit, type, id);
  });
}

/** Soft delete: the rows stay, hidden, with what was deleted along with them. */
export async function deleteObject(app: App, who: Principal, type: WorkflowType, id: number): Promise<Record_> {
  return inTransaction(app, who, async (unit) => {
    const row = await fetchAccess(unit, type, id);
    await updateTracked(unit.db, type, id, { deleted_at: unit.now, updated: unit.now });
    if (type === 'alertgroup') await cascadeToAlerts(unit, id, { deleted_at: unit.now }, (eb) => eb('deleted_at', 'is', null));
    await cascadeEntries(unit, type, id, unit.now);
    if (type === 'entry') await cascadeReplies(unit, id, unit.now);
    if (type === 'alert') await refreshAlertgroup(unit, row.alertgroup_id);
    unit.record(type, id, 'delete');
    return reload(unit, type, id);
  });
}

/** Undelete brings back the object and what was deleted with it (same deletion time). */
async function restore(unit: Unit, type: WorkflowType, row: TrackedRow) {
  const stamp = row.deleted_at!;
  if (type === 'alert') {
    const group = await getTracked(unit.db, 'alertgroup', row.alertgroup_id);
    if (!group) throw conflict(`alert ${row.id} belongs to deleted alertgroup ${row.alertgroup_id}; undelete that instead`, 'undelete');
  }
  if (type === 'entry' && !(await getTracked(unit.db, row.target_type, row.target_id))) {
    throw conflict(`entry ${row.id} is on deleted ${row.target_type} ${row.target_id}; undelete that instead`, 'undelete');
  }
  await updateTracked(unit.db, type, row.id, { deleted_at: null, updated: unit.now });
  if (type === 'alertgroup') await cascadeToAlerts(unit, row.id, { deleted_at: null }, (eb) => eb('deleted_at', '=', stamp));
  await cascadeEntries(unit, type, row.id, null, stamp);
  if (type === 'entry') await cascadeReplies(unit, row.id, null, stamp);
  // An alert deleted on its own in the same second as its alertgroup comes back with it.
  if (type === 'alert' || type === 'alertgroup') await refreshAlertgroup(unit, type === 'alert' ? row.alertgroup_id : row.id);
  unit.record(type, row.id, 'undelete');
}

/** The audit trail of one object, oldest first unless `sort=-seq`. */
export async function history(app: App, who: Principal, type: WorkflowType, id: number, q: RawQuery): Promise<ListEnvelope> {
  const unit = reader(app, who);
  const row = await readable(unit, type, id, { includeDeleted: true });
  const { sort, ...rest } = q;
  if (sort !== undefined && sort !== 'seq' && sort !== '-seq') throw badInput('sort', 'history sorts by seq or -seq');
  // Alerts are created by their alertgroup's `create` change, which the alerts' histories share.
  const createdBy = type === 'alert' ? { type: 'alertgroup', target_id: row.alertgroup_id } : undefined;
  const { rows, total } = await changesOf(unit.db, type, id, { ...parsePage(rest), desc: sort === '-seq' }, createdBy);
  return envelope(
    rows.map((c) =>
      c.type === type
        ? presentChange(c)
        : { seq: c.seq, when: c.at, who: c.who, action: 'create', type, id, diff: { alertgroup: c.target_id } },
    ),
    total,
  );
}
