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
import type { RowOf } from '../store/schema.js';
import { getTracked, insertTracked, listTracked, updateTracked, updateTrackedWhere, type FieldFilter } from '../store/tracked.js';
import { isViewed } from '../store/view.js';
import { dedupe, groupColumns, groupsForNew, groupsOf, modifiable, readable } from './access.js';
import type { App } from './context.js';
import { cascadeEntries } from './entry.js';
import { attachLabels, labelNames } from './label.js';
import { lockForChange } from './lock.js';
import { cursorAfter, envelope, parseListQuery, parsePage, positionOf, type ListEnvelope, type RawQuery } from './list.js';
import type { Diff, Noun, RecordOf } from './noun.js';
import { NOUNS, present, presentOne } from './nouns.js';
import { promotableRows, promote, promotionOf, PROMOTED_FROM, PROMOTES_TO, type Promotable } from './promote.js';
import { inTransaction, reader, type Unit } from './unit.js';
import { presentChange, type ChangeView } from './view.js';
import { noteView } from './viewing.js';

/** The fields besides subject and labels that a new event or incident takes. */
const CASE_FIELDS = { event: ['tlp'], incident: ['tlp', ...INCIDENT_FIELDS] } as const;

/** A new event or incident; each takes the fields its schema allows. */
export type CaseInput = Partial<EventInput & IncidentInput>;

/** The object a use case changes, locked with what its change may update besides it, when the caller may change it. */
async function fetchAccess<T extends WorkflowType>(unit: Unit, type: T, id: number, includeDeleted = false): Promise<RowOf<T>> {
  await lockForChange(unit, type, [id]);
  const noun: Noun<T> = NOUNS[type];
  return noun.editable ? noun.editable(unit, id, { includeDeleted }) : modifiable(unit, type, id, { includeDeleted });
}

/** The object as it is now, deleted or not. */
const fresh = async <T extends WorkflowType>(unit: Unit, type: T, id: number): Promise<RowOf<T>> =>
  (await getTracked(unit.db, type, id, { includeDeleted: true }))!;

const reload = async <T extends WorkflowType>(unit: Unit, type: T, id: number): Promise<RecordOf<T>> =>
  presentOne(unit, type, await fresh(unit, type, id));

/**
 * One object the caller may read. Opening an alertgroup, event or incident from `address` counts as
 * a view, stored with the next flush of views.
 */
export async function getObject<T extends WorkflowType>(
  app: App,
  who: Principal,
  type: T,
  id: number,
  address = 'local',
): Promise<RecordOf<T>> {
  const unit = reader(app, who);
  const row = await readable(unit, type, id);
  if (isViewed(type)) noteView(app, who, type, id, address);
  return presentOne(unit, type, row);
}

/** Lists what the caller may read, presented and wrapped in SCOT's envelope. */
export async function listObjects<T extends WorkflowType>(
  unit: Unit,
  type: T,
  q: RawQuery,
  scope: FieldFilter[] = [],
): Promise<ListEnvelope<Partial<RecordOf<T>>>> {
  const { columns, after, ...parsed } = parseListQuery(type, q);
  parsed.filters.push(...scope);
  const { rows, total, exact } = await listTracked(unit.db, unit.rules, type, {
    ...parsed,
    after: after === undefined ? undefined : positionOf(type, parsed, after),
    readableBy: unit.who.admin ? null : unit.who.groups,
    countBound: unit.app.config.listCountBound,
  });
  const records = await present(unit, type, rows);
  const last = rows.length === parsed.limit ? rows.at(-1) : undefined;
  return {
    ...envelope(columns ? records.map((r) => pick(r, columns)) : records, total),
    totalRecordCountExact: exact,
    nextCursor: last ? cursorAfter(type, parsed, last) : null,
  };
}

/** A record with only the `columns` asked for, and its id. */
function pick<R extends { id: number }>(record: R, columns: string[]): Partial<R> {
  const out: Partial<R> = { id: record.id } as Partial<R>;
  for (const c of columns) if (c in record) out[c as keyof R] = record[c as keyof R];
  return out;
}

/** Creates an event or incident by hand, or by promoting alerts (events) into a new one. */
export async function createCase<T extends 'event' | 'incident'>(
  app: App,
  who: Principal,
  type: T,
  input: CaseInput,
): Promise<RecordOf<T>> {
  return inTransaction(app, who, async (unit) => {
    const childType: Promotable = PROMOTED_FROM[type];
    const own: readonly (keyof CaseInput)[] = CASE_FIELDS[type];
    const extra = Object.fromEntries(own.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]));
    const fromIds = input.promote_from?.[childType];
    const wrongKind = Object.keys(input.promote_from ?? {}).find((k) => k !== childType);
    if (wrongKind) throw badInput(`promote_from.${wrongKind}`, `a ${type} is promoted from ${childType}s, not ${wrongKind}s`);
    let id: number;
    if (fromIds && fromIds.length > 0) {
      const rows = await promotableRows(unit, childType, fromIds);
      id = await promote(unit, childType, rows, 'new', { ...input, extra });
    } else {
      if (!input.subject) throw badInput('subject', `an ${type} needs a subject`);
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
      unit.record(type, id, 'create', {
        subject: input.subject,
        tag: labelNames(input.tag),
        source: labelNames(input.source),
        groups,
        ...extra,
      });
    }
    return reload(unit, type, id);
  });
}

async function setLabels(unit: Unit, type: WorkflowType, id: number, kind: LabelKind, labels: readonly LabelInput[]) {
  await unlinkAllLabels(unit.db, kind, type, id);
  await attachLabels(unit, type, [id], { [kind]: labels });
}

/** Applies a partial update: fields, labels, groups, status, promotion, and what the type does besides. */
export async function updateObject<T extends WorkflowType>(
  app: App,
  who: Principal,
  type: T,
  id: number,
  patch: Patch,
): Promise<RecordOf<T>> {
  const noun: Noun<T> = NOUNS[type];
  return inTransaction(app, who, async (unit) => {
    let row = await fetchAccess(unit, type, id, patch.undelete === true);
    if (patch.rev !== undefined && patch.rev !== row.rev) {
      throw conflict(`${type} ${id} was changed by someone else (revision ${row.rev}, yours ${patch.rev}); reload it`, 'rev');
    }
    if (patch.undelete && row.deleted_at !== null) {
      await restore(unit, type, row);
      row = await fresh(unit, type, id);
    }
    const diff: Diff = {};
    const set: Record<string, unknown> = {};
    const stored: Record<string, unknown> = row;
    for (const field of noun.plainFields) {
      if (patch[field] !== undefined && patch[field] !== stored[field]) {
        set[field] = patch[field];
        diff[field] = [stored[field], patch[field]];
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
    if (noun.edit) Object.assign(diff, await noun.edit(unit, row, patch));
    if (Object.keys(diff).length > 0) unit.record(type, id, 'update', diff);
    if (patch.status !== undefined) await changeStatus(unit, type, await fresh(unit, type, id), patch.status);
    await noun.act?.(unit, await fresh(unit, type, id), patch);
    if (patch.promote !== undefined) {
      if (!(type in PROMOTES_TO)) throw badInput('promote', `a ${type} cannot be promoted`);
      await promote(unit, type as Promotable, [await fresh(unit, type as Promotable, id)], patch.promote);
    }
    return reload(unit, type, id);
  });
}

async function changeStatus<T extends WorkflowType>(unit: Unit, type: T, row: RowOf<T>, status: SettableStatus) {
  // A promoted alert or event lives on in what it was promoted to; reopening or closing it there
  // would leave it linked yet counted as open or closed.
  const promotedTo = promotionOf(row);
  if (row.status === 'promoted' && promotedTo !== null) {
    const parent = PROMOTES_TO[type as Promotable];
    throw conflict(`${type} ${row.id} is promoted to ${parent} ${promotedTo}; change the ${parent} instead`, 'status');
  }
  const noun: Noun<T> = NOUNS[type];
  await noun.setStatus(unit, row, status);
}

/**
 * New groups for an object. An alertgroup's alerts share its groups, and entries that had the
 * object's old groups follow it, so that nobody loses sight of part of an object.
 */
async function changeGroups<T extends WorkflowType>(
  unit: Unit,
  type: T,
  row: RowOf<T>,
  asked: Partial<Groups>,
  set: Record<string, unknown>,
) {
  const before = groupsOf(row);
  const after = { read: dedupe(asked.read ?? before.read), modify: dedupe(asked.modify ?? before.modify) };
  if (JSON.stringify(before) === JSON.stringify(after)) return {};
  Object.assign(set, groupColumns(after));
  const noun: Noun<T> = NOUNS[type];
  await noun.onRegroup?.(unit, row, after);
  // No entry is written on an entry (replies point at their parent), so for an entry this changes nothing.
  await updateTrackedWhere(unit.db, 'entry', 'target_id', row.id, groupColumns(after), (eb) =>
    eb.and([eb('target_type', '=', type), eb('read_groups', '=', row.read_groups), eb('modify_groups', '=', row.modify_groups)]),
  );
  return { groups: [before, after] };
}

/** Takes one tag or source off an object (SCOT 3's `DELETE /:type/:id/tag/:tag_id`). */
export async function unlabel<T extends WorkflowType>(
  app: App,
  who: Principal,
  type: T,
  id: number,
  kind: LabelKind,
  labelId: number,
): Promise<RecordOf<T>> {
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
export async function deleteObject<T extends WorkflowType>(app: App, who: Principal, type: T, id: number): Promise<RecordOf<T>> {
  const noun: Noun<T> = NOUNS[type];
  return inTransaction(app, who, async (unit) => {
    const row = await fetchAccess(unit, type, id);
    await updateTracked(unit.db, type, id, { deleted_at: unit.now, updated: unit.now });
    await cascadeEntries(unit, type, id, unit.now);
    await noun.onDelete?.(unit, row);
    unit.record(type, id, 'delete');
    return reload(unit, type, id);
  });
}

/** Undelete brings back the object and what was deleted with it (same deletion time). */
async function restore<T extends WorkflowType>(unit: Unit, type: T, row: RowOf<T>) {
  const stamp = row.deleted_at!;
  await updateTracked(unit.db, type, row.id, { deleted_at: null, updated: unit.now });
  await cascadeEntries(unit, type, row.id, null, stamp);
  const noun: Noun<T> = NOUNS[type];
  await noun.onRestore?.(unit, row, stamp);
  unit.record(type, row.id, 'undelete');
}

/** The audit trail of one object, oldest first unless `sort=-seq`. */
export async function history<T extends WorkflowType>(
  app: App,
  who: Principal,
  type: T,
  id: number,
  q: RawQuery,
): Promise<ListEnvelope<ChangeView>> {
  const unit = reader(app, who);
  const row = await readable(unit, type, id, { includeDeleted: true });
  const { sort, ...rest } = q;
  if (sort !== undefined && sort !== 'seq' && sort !== '-seq') throw badInput('sort', 'history sorts by seq or -seq');
  // Alerts are created by their alertgroup's `create` change, which the alerts' histories share.
  const noun: Noun<T> = NOUNS[type];
  const createdBy = noun.createdBy?.(row);
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
