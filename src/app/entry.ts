import type { EntryTargetType, TrackedTargetType } from '../domain/catalog.js';
import { badInput, conflict, forbidden } from '../domain/error.js';
import type { EntryInput, TaskAction } from '../domain/input/entry.js';
import type { Principal } from '../domain/principal.js';
import { canModify } from '../domain/principal.js';
import { sanitizeEntryHtml } from '../domain/sanitize.js';
import type { EntryClass } from '../domain/status.js';
import { entitiesById, flairOf, lockEntity } from '../store/entity.js';
import { summariesOf } from '../store/entry.js';
import type { EntryRow } from '../store/schema.js';
import {
  countBy,
  getTracked,
  insertTracked,
  lockTracked,
  touchTracked,
  updateTracked,
  updateTrackedWhere,
  type TrackedRow,
} from '../store/tracked.js';
import type { Groups } from '../domain/principal.js';
import { groupColumns, groupsForNew, groupsOf, modifiable, readable, visibleEntity } from './access.js';
import type { App } from './context.js';
import { flairState } from './flair.js';
import type { Diff, Noun } from './noun.js';
import { inTransaction, type Unit } from './unit.js';
import { trackedRecords, type TrackedRecord } from './view.js';

/** A task's state: who took or completed it, and when. */
export interface TaskState {
  status: string;
  who: string | null;
  when: number | null;
}

/** An entry as the API answers it. */
export interface EntryRecord extends TrackedRecord {
  target: { type: string; id: number };
  target_type: string;
  target_id: number;
  parent: number | null;
  body: string;
  class: string;
  task: TaskState | null;
  /** SCOT 3 clients read a task's state here. */
  metadata: { task?: TaskState | null };
  reply_count: number;
  /** Whether flair has caught up with the body; then the body as flaired HTML (SCOT 3's name), else null. */
  flair: 'pending' | 'done';
  body_flair: string | null;
}

/** What a new entry takes from the object it is written on when it names none of its own: a marking, and groups. */
export interface EntryDefaults {
  tlp: string;
  /** None for an entity, which has no groups: the caller's default groups then. */
  groups?: Groups;
}

/** What a new entry on a workflow object takes from its row. */
export const defaultsOf = (row: TrackedRow): EntryDefaults => ({ tlp: row.tlp, groups: groupsOf(row) });

/** How entries treat each kind of object they are written on. */
interface EntryTarget {
  /**
   * Locks the object for the rest of the transaction (so it keeps one summary, and is not deleted meanwhile),
   * checks the caller may write on it, and answers what a new entry takes from it.
   */
  open(unit: Unit, id: number): Promise<EntryDefaults>;
  /** Marks the object changed by an entry written on it. */
  touch(unit: Unit, id: number): Promise<void>;
  /** Whether the object is there (not deleted), so an entry on it may come back alone. */
  exists(unit: Unit, id: number): Promise<boolean>;
}

/** A workflow object: its modify groups say who writes on it; an entry takes its groups and marking. */
const trackedTarget = (type: TrackedTargetType): EntryTarget => ({
  async open(unit, id) {
    await lockTracked(unit.db, unit.rules, type, [id]);
    return defaultsOf(await modifiable(unit, type, id));
  },
  // An entry is not a field of its object: the object's revision stays, so a save based on it still applies.
  touch: (unit, id) => touchTracked(unit.db, type, id, { updated: unit.now }),
  exists: async (unit, id) => (await getTracked(unit.db, type, id)) !== undefined,
});

/**
 * An entity has no groups (as in SCOT 3): whoever may see it may write on it, and each entry's own read and modify
 * groups (the caller's defaults unless named) say who reads and changes that entry.
 */
const entityTarget: EntryTarget = {
  async open(unit, id) {
    await lockEntity(unit.db, unit.rules, [id]);
    await visibleEntity(unit, id);
    return { tlp: UNMARKED };
  },
  touch: async () => {},
  exists: async (unit, id) => (await entitiesById(unit.db, [id])).length > 0,
};

/** The marking of what nobody marked: the column's default. */
const UNMARKED = 'unset';

/** Each kind of object entries are written on. */
const ENTRY_TARGETS: Record<EntryTargetType, EntryTarget> = {
  alertgroup: trackedTarget('alertgroup'),
  alert: trackedTarget('alert'),
  event: trackedTarget('event'),
  incident: trackedTarget('incident'),
  entity: entityTarget,
};

/** Writes an entry on an object the caller may change; its groups and marking default to the object's. */
export async function addEntry(app: App, who: Principal, input: EntryInput): Promise<EntryRecord> {
  return inTransaction(app, who, async (unit) => {
    const target = await ENTRY_TARGETS[input.target_type].open(unit, input.target_id);
    if (input.parent !== undefined) {
      const parent = await getTracked(unit.db, 'entry', input.parent);
      if (!parent || parent.target_type !== input.target_type || parent.target_id !== input.target_id) {
        throw badInput('parent', `entry ${input.parent} is not an entry on ${input.target_type} ${input.target_id}`);
      }
    }
    const id = await insertEntry(unit, target, input);
    return (await presentEntries(unit, [(await getTracked(unit.db, 'entry', id))!]))[0];
  });
}

/** Stores an entry in the caller's transaction, with the `target`'s groups and marking unless it names others. */
export async function insertEntry(unit: Unit, target: EntryDefaults, input: EntryInput): Promise<number> {
  const entryClass = input.class ?? 'entry';
  if (entryClass === 'summary') await demoteSummaries(unit, input.target_type, input.target_id);
  const body = sanitizeEntryHtml(input.body);
  const id = await insertTracked(unit.db, 'entry', {
    target_type: input.target_type,
    target_id: input.target_id,
    parent_id: input.parent ?? null,
    body,
    class: entryClass,
    ...taskColumns(entryClass === 'task' ? 'open' : null, null, unit.now),
    status: 'open',
    owner: unit.who.username,
    created: unit.now,
    updated: unit.now,
    tlp: input.tlp ?? target.tlp,
    ...groupColumns(groupsForNew(unit, input.groups, target.groups)),
  });
  await ENTRY_TARGETS[input.target_type].touch(unit, input.target_id);
  unit.record('entry', id, 'create', {
    target: { type: input.target_type, id: input.target_id },
    parent: input.parent ?? null,
    class: entryClass,
  });
  return id;
}

const taskColumns = (status: string | null, who: string | null, when: number) => ({
  task_status: status,
  task_who: who,
  task_when: status ? when : null,
});

/** Its creator may always edit an entry; others need the entry's modify groups. */
export async function editableEntry(unit: Unit, id: number, options: { includeDeleted?: boolean } = {}): Promise<EntryRow> {
  const row = await readable(unit, 'entry', id, options);
  if (row.owner !== unit.who.username && !canModify(unit.who, groupsOf(row))) {
    throw forbidden(`${unit.who.username} may read entry ${id} but not change it`);
  }
  return row;
}

/** An object has one summary: promoting an entry to it demotes the previous one. The caller holds the object's lock. */
async function demoteSummaries(unit: Unit, targetType: string, targetId: number, except?: number) {
  for (const id of await summariesOf(unit.db, targetType, targetId)) {
    if (id === except) continue;
    await updateTracked(unit.db, 'entry', id, { class: 'entry', updated: unit.now });
    unit.record('entry', id, 'update', { class: ['summary', 'entry'] });
  }
}

/** Changes what an entry is: a plain entry, the summary of its object, or a task. Returns the diff. */
async function setEntryClass(unit: Unit, row: EntryRow, entryClass: EntryClass): Promise<Diff> {
  if (row.class === entryClass) return {};
  if (row.parent_id !== null && entryClass === 'summary') throw badInput('class', 'a reply cannot be the summary');
  if (entryClass === 'summary') await demoteSummaries(unit, row.target_type, row.target_id, row.id);
  const task = entryClass === 'task' ? taskColumns('open', null, unit.now) : taskColumns(null, null, unit.now);
  await updateTracked(unit.db, 'entry', row.id, { class: entryClass, ...task, updated: unit.now });
  return { class: [row.class, entryClass] };
}

/**
 * Tasks are taken, never assigned: taking makes the caller the task's owner. Completing a task
 * nobody took takes it too; a task someone else holds must be taken before it is completed.
 */
async function actOnTask(unit: Unit, row: EntryRow, action: TaskAction): Promise<void> {
  if (row.class !== 'task') throw conflict(`entry ${row.id} is not a task; set "class": "task" first`, 'task');
  const me = unit.who.username;
  const before = { status: row.task_status, who: row.task_who };
  let after: { status: string; who: string | null };
  if (action === 'take') {
    if (row.task_status === 'completed') throw conflict(`task ${row.id} is completed; reopen it first`, 'task');
    after = { status: 'assigned', who: me };
  } else if (action === 'complete') {
    if (row.task_status === 'completed') return;
    if (row.task_status === 'assigned' && row.task_who !== me) {
      throw conflict(`task ${row.id} is taken by ${row.task_who}; take it before completing it`, 'task');
    }
    after = { status: 'completed', who: me };
  } else {
    after = { status: 'open', who: null };
  }
  if (before.status === after.status && before.who === after.who) return;
  await updateTracked(unit.db, 'entry', row.id, {
    ...taskColumns(after.status, after.who, unit.now),
    ...(after.who ? { owner: after.who } : {}),
    updated: unit.now,
  });
  unit.record('entry', row.id, action === 'open' ? 'reopen' : action, {
    task: [before, after],
    ...(after.who && after.who !== row.owner ? { owner: [row.owner, after.who] } : {}),
  });
}

async function editEntryBody(unit: Unit, row: EntryRow, html: string): Promise<Diff> {
  const body = sanitizeEntryHtml(html);
  if (body === row.body) return {};
  await updateTracked(unit.db, 'entry', row.id, { body, updated: unit.now });
  return { body: [row.body, body] };
}

/**
 * Soft-deletes (`deletedAt` set) or restores (null, matching the deletion time `restoreStamp`)
 * the entries whose `column` points at `id`: those on a deleted object, or replies to a deleted entry.
 */
async function cascadeDeletion(
  unit: Unit,
  column: 'target_id' | 'parent_id',
  id: number,
  deletedAt: number | null,
  restoreStamp: number | undefined,
  targetType?: string,
) {
  await updateTrackedWhere(unit.db, 'entry', column, id, { deleted_at: deletedAt }, (eb) =>
    eb.and([
      ...(targetType ? [eb('target_type', '=', targetType)] : []),
      restoreStamp === undefined ? eb('deleted_at', 'is', null) : eb('deleted_at', '=', restoreStamp),
    ]),
  );
}

/** The entries written on an object go and come back with it. */
export const cascadeEntries = (
  unit: Unit,
  targetType: string,
  targetId: number,
  deletedAt: number | null,
  restoreStamp?: number,
) => cascadeDeletion(unit, 'target_id', targetId, deletedAt, restoreStamp, targetType);

/** Replies go and come back with the entry they answer. */
const cascadeReplies = (unit: Unit, entryId: number, deletedAt: number | null, restoreStamp?: number) =>
  cascadeDeletion(unit, 'parent_id', entryId, deletedAt, restoreStamp);

const taskOf = (row: EntryRow): TaskState | null =>
  row.task_status ? { status: row.task_status, who: row.task_who, when: row.task_when } : null;

/** Entries as the API answers them. */
export async function presentEntries(unit: Unit, rows: EntryRow[]): Promise<EntryRecord[]> {
  const ids = rows.map((r) => r.id);
  const [tracked, replies, flairs] = await Promise.all([
    trackedRecords(unit, 'entry', rows),
    countBy(unit.db, 'entry', 'parent_id', ids),
    flairOf(unit.db, 'entry', ids),
  ]);
  return rows.map((row) => {
    const { flair, html } = flairState('entry', row, flairs.get(row.id));
    return {
      ...tracked(row),
      target: { type: row.target_type, id: row.target_id },
      target_type: row.target_type,
      target_id: row.target_id,
      parent: row.parent_id,
      body: row.body,
      class: row.class,
      task: taskOf(row),
      metadata: row.task_status ? { task: taskOf(row) } : {},
      reply_count: replies.get(row.id) ?? 0,
      flair,
      body_flair: html,
    };
  });
}

/**
 * An entry is written on an object and has no status of its own: its creator may always edit it,
 * its body and class are edited, its task acted on, and its replies go and come back with it.
 */
export const entryNoun: Noun<'entry'> = {
  plainFields: ['tlp'],
  present: presentEntries,
  editable: editableEntry,
  setStatus: async () => {
    throw badInput('status', 'an entry has no status of its own; use "class" or "task"');
  },
  async edit(unit, row, patch) {
    return {
      ...(patch.body === undefined ? {} : await editEntryBody(unit, row, patch.body)),
      ...(patch.class === undefined ? {} : await setEntryClass(unit, row, patch.class)),
    };
  },
  act: async (unit, row, patch) => {
    if (patch.task !== undefined) await actOnTask(unit, row, patch.task);
  },
  onDelete: (unit, row) => cascadeReplies(unit, row.id, unit.now),
  async onRestore(unit, row, stamp) {
    if (!(await ENTRY_TARGETS[row.target_type as EntryTargetType].exists(unit, row.target_id))) {
      throw conflict(`entry ${row.id} is on deleted ${row.target_type} ${row.target_id}; undelete that instead`, 'undelete');
    }
    await cascadeReplies(unit, row.id, null, stamp);
  },
};
