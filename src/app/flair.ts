import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { isMainThread, type Worker } from 'node:worker_threads';
import type { AllowKind } from '../domain/entity/allow.js';
import type { EntitytypeKind } from '../domain/entity/entitytype.js';
import { entityKey, versionOf, type FlairRules, type PreparedFlair } from '../domain/entity/flair.js';
import type { ChangeRecord } from '../store/change.js';
import type { Principal } from '../domain/principal.js';
import {
  allowList,
  entitytypes,
  flairOf,
  knownEntities,
  saveFlair,
  setAppearances,
  sourcesOf,
  upsertEntities,
  type EntityRow,
  type FlairTarget,
} from '../store/entity.js';
import type { TrackedRow } from '../store/tracked.js';
import type { App } from './context.js';
import { runFlairTask, type FlairAnswer, type FlairTask } from './flair-worker.js';
import { startThread } from './worker-thread.js';
import { reader, type Unit } from './unit.js';

export type { PreparedFlair } from '../domain/entity/flair.js';

/** Called in the flair transaction with the entities stored for the first time: where enrichment hooks in. */
export type NewEntityHook = (unit: Unit, entities: readonly EntityRow[]) => Promise<void>;

/** What runs when flair first sees an entity; other features add theirs with `onNewEntity`. */
const newEntityHooks: NewEntityHook[] = [];

/** Runs `hook` whenever flair stores entities it never saw before, in the same transaction. */
export function onNewEntity(hook: NewEntityHook): void {
  newEntityHooks.push(hook);
}

/** The text of an alert or entry flair reads: an entry's body, an alert's data as stored. */
const sourceOf = (row: TrackedRow): string => ('data' in row ? row.data : 'body' in row ? (row.body ?? '') : '');

/** Whether an object's stored flair is for its current text: `flair: "done"`, else "pending". */
export const flairIsCurrent = (_type: FlairTarget, row: TrackedRow, stored: { source_hash: string } | undefined) =>
  stored !== undefined && stored.source_hash === versionOf(sourceOf(row));

/** Whether flair has caught up with an object's text, and then the flaired HTML it made of it. */
export function flairState(
  type: FlairTarget,
  row: TrackedRow,
  stored: { source_hash: string; html: string } | undefined,
): { flair: 'pending' | 'done'; html: string | null } {
  return flairIsCurrent(type, row, stored) ? { flair: 'done', html: stored!.html } : { flair: 'pending', html: null };
}

/** What the extractor is told now: the enabled admin-defined types, and the allow-list. */
export async function flairRules(unit: Unit): Promise<FlairRules> {
  const [types, allowed] = await Promise.all([entitytypes(unit.db, { enabledOnly: true }), allowList(unit.db)]);
  return {
    extra: types.map((t) => ({ value: t.value, match: t.match, kind: t.kind as EntitytypeKind })),
    allowed: allowed.map((a) => ({ value: a.value, kind: a.kind as AllowKind })),
  };
}

/** Ids per query when loading objects to flair, and per task of the flair thread. */
const LOAD_CHUNK = 500;

/** Objects flaired in place between two turns of the event loop, when no flair thread runs. */
const INLINE_SLICE = 25;

/**
 * The flair thread, started on first use. If it cannot start or dies, flair runs on the main thread
 * in small slices instead, still giving the event loop back between them. Flair running off the main
 * thread already (the background thread of `scot serve`) extracts in place: no request waits on that
 * event loop, and a thread of its own would cost another V8 heap and the copying of every text to it.
 */
class FlairThread {
  private worker?: Worker;
  private failed = false;
  private next = 0;
  private readonly pending = new Map<
    number,
    { task: Omit<FlairTask, 'n'>; resolve(p: Promise<PreparedFlair[]> | PreparedFlair[]): void; reject(e: Error): void }
  >();

  constructor(private readonly inPlace: boolean) {}

  async run(task: Omit<FlairTask, 'n'>): Promise<PreparedFlair[]> {
    const worker = this.inPlace ? undefined : this.started();
    if (!worker) return this.inline(task);
    const n = this.next++;
    // A task in progress keeps the process alive (a CLI awaiting it); an idle thread does not.
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(n, { task, resolve, reject });
      worker.postMessage({ ...task, n });
    });
  }

  private started(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    try {
      const worker = startThread(new URL('./flair-worker.js', import.meta.url));
      worker.on('message', (answer: FlairAnswer) => {
        const waiting = this.pending.get(answer.n);
        this.pending.delete(answer.n);
        if (this.pending.size === 0) worker.unref();
        if ('error' in answer) waiting?.reject(new Error(answer.error));
        else waiting?.resolve(answer.prepared);
      });
      // What the thread was doing when it was lost is done again here.
      const lost = (err: Error) => {
        console.error(`flair thread: ${err.message}; flairing on the main thread`);
        this.failed = true;
        this.worker = undefined;
        for (const { task, resolve } of this.pending.values()) resolve(this.inline(task));
        this.pending.clear();
      };
      worker.on('error', lost);
      worker.on('exit', (code) => this.worker && lost(new Error(`stopped with code ${code}`)));
      // Listening refs the thread: unref it again, so an idle thread keeps no process alive.
      worker.unref();
      this.worker = worker;
    } catch (err) {
      this.failed = true;
      console.error(`flair thread: ${(err as Error).message}; flairing on the main thread`);
    }
    return this.worker;
  }

  private async inline(task: Omit<FlairTask, 'n'>): Promise<PreparedFlair[]> {
    const prepared: PreparedFlair[] = [];
    for (let i = 0; i < task.objects.length; i += INLINE_SLICE) {
      if (i > 0) await yieldToEvents();
      prepared.push(...runFlairTask({ ...task, n: 0, objects: task.objects.slice(i, i + INLINE_SLICE) }));
    }
    return prepared;
  }
}

const flairThread = new FlairThread(!isMainThread);

/**
 * Flairs alerts or entries outside any transaction, reading only, on the flair thread (in place off the main thread): the slow part
 * (extraction) never holds the writer nor the event loop. Unless `force`d, an object whose current
 * text was flaired already is left out.
 */
export async function prepareFlair(
  unit: Unit,
  type: FlairTarget,
  ids: readonly number[],
  rules: FlairRules,
  force = false,
): Promise<PreparedFlair[]> {
  const prepared: PreparedFlair[] = [];
  for (let i = 0; i < ids.length; i += LOAD_CHUNK) {
    const chunk = ids.slice(i, i + LOAD_CHUNK);
    const [sources, stored] = await Promise.all([sourcesOf(unit.db, type, chunk), flairOf(unit.db, type, chunk)]);
    const objects = [...sources].map(([id, source]) => ({ id, source, flaired: stored.get(id)?.source_hash }));
    for (const p of await flairThread.run({ type, rules, objects, force })) prepared.push(p);
  }
  return prepared;
}

/**
 * Stores prepared flair in the unit's transaction as it was prepared: entities once per (type, value),
 * appearances, and the flaired HTML. `known` holds the ids of entities found stored before the
 * transaction (an entity's id never changes); only the others are inserted. Returns how many objects it stored.
 */
export async function storeFlair(
  unit: Unit,
  type: FlairTarget,
  prepared: readonly PreparedFlair[],
  known: ReadonlyMap<string, number> = new Map(),
): Promise<number> {
  if (prepared.length === 0) return 0;
  const unknown = new Map<string, { type: string; value: string }>();
  for (const p of prepared)
    for (const e of p.flair.entities) if (!known.has(entityKey(e))) unknown.set(entityKey(e), { type: e.type, value: e.value });
  const { ids: inserted, fresh } = await upsertEntities(unit.db, [...unknown.values()], unit.now);
  const idOf = (key: string) => known.get(key) ?? inserted.get(key)!;
  const counts = new Map<number, Map<number, number>>();
  for (const p of prepared) counts.set(p.id, new Map([...p.counts].map(([key, n]) => [idOf(key), n])));
  await setAppearances(unit.db, type, counts, unit.now);
  await saveFlair(
    unit.db,
    type,
    prepared.map((p) => ({ id: p.id, hash: p.version, html: p.flair.html })),
    unit.now,
  );
  // A new entity is a write like any other: the search index and the audit history hear of it.
  for (const e of fresh) unit.record('entity', e.id, 'create', { type: e.type, value: e.value });
  if (fresh.length > 0) for (const hook of newEntityHooks) await hook(unit, fresh);
  return prepared.length;
}

/**
 * Those of `prepared` whose stored text is still the one they were flaired from, read in the unit's
 * transaction. A reflair needs it: the flair consumer may have stored the flair of newer text since.
 */
export async function stillCurrent(unit: Unit, type: FlairTarget, prepared: readonly PreparedFlair[]): Promise<PreparedFlair[]> {
  const current = await sourcesOf(
    unit.db,
    type,
    prepared.map((p) => p.id),
  );
  return prepared.filter((p) => current.get(p.id) === p.source);
}

/** The alerts and entries whose text a change created or changed. */
export function flairTargetsOf(changes: readonly ChangeRecord[]): Record<FlairTarget, number[]> {
  const alerts = new Set<number>();
  const entries = new Set<number>();
  for (const c of changes) {
    const diff = c.diff as Record<string, unknown>;
    if (c.type === 'alertgroup' && c.action === 'create' && Array.isArray(diff.alerts))
      for (const id of diff.alerts) alerts.add(Number(id));
    else if (c.type === 'alert' && (c.action === 'create' || 'data' in diff)) alerts.add(c.target_id);
    else if (c.type === 'entry' && (c.action === 'create' || 'body' in diff)) entries.add(c.target_id);
  }
  return { alert: [...alerts], entry: [...entries] };
}

/** Who flair acts as: the system, reading everything. */
const FLAIR: Principal = { userId: 0, username: 'scot:flair', groups: [], admin: true };

/**
 * Flair of what a batch of the change log created or changed, prepared outside the transaction, and
 * the ids of the entities in it that were stored already, by `type value`.
 */
export type PreparedChanges = Record<FlairTarget, PreparedFlair[]> & { known: Map<string, number> };

/** The `flair` consumer's reading part: flairs the alerts and entries a batch created or changed. */
export async function prepareFlairChanges(app: App, changes: readonly ChangeRecord[]): Promise<PreparedChanges> {
  const targets = flairTargetsOf(changes);
  if (targets.alert.length === 0 && targets.entry.length === 0) return { alert: [], entry: [], known: new Map() };
  const unit = reader(app, FLAIR);
  const rules = await flairRules(unit);
  const alert = await prepareFlair(unit, 'alert', targets.alert, rules);
  const entry = await prepareFlair(unit, 'entry', targets.entry, rules);
  const entities = new Map<string, { type: string; value: string }>();
  for (const p of [...alert, ...entry]) for (const e of p.flair.entities) entities.set(entityKey(e), e);
  return { alert, entry, known: await knownEntities(unit.db, [...entities.values()]) };
}

/**
 * The `flair` consumer's writing part, in the transaction that moves its cursor. It stores what was
 * prepared without reading the texts again: one changed since was changed by a later change, whose
 * batch flairs it again (its stored flair, for the older text's hash, reads "pending" until then).
 */
export async function storeFlairChanges(unit: Unit, _changes: readonly ChangeRecord[], prepared: unknown): Promise<void> {
  const { alert, entry, known } = prepared as PreparedChanges;
  await storeFlair(unit, 'alert', alert, known);
  await storeFlair(unit, 'entry', entry, known);
}
