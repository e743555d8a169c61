import { createHash } from 'node:crypto';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { allowFilter, type AllowKind } from '../domain/entity/allow.js';
import { extraType, type EntitytypeKind } from '../domain/entity/entitytype.js';
import { extractEntities, extractFromHtml, type ExtractOptions } from '../domain/entity/extract.js';
import { renderFlair } from '../domain/entity/flair.js';
import type { EntityMatch } from '../domain/entity/type.js';
import { sanitizeEntryHtml } from '../domain/sanitize.js';
import type { ChangeRecord } from '../store/change.js';
import type { Principal } from '../domain/principal.js';
import {
  allowList,
  entitytypes,
  flairOf,
  saveFlair,
  setAppearances,
  sourcesOf,
  upsertEntities,
  type EntityRow,
  type FlairTarget,
} from '../store/entity.js';
import type { TrackedRow } from '../store/tracked.js';
import type { App } from './context.js';
import { reader, type Unit } from './unit.js';

/** Called in the flair transaction with the entities stored for the first time: where enrichment hooks in. */
export type NewEntityHook = (unit: Unit, entities: readonly EntityRow[]) => Promise<void>;

/** What runs when flair first sees an entity; other features add theirs with `onNewEntity`. */
const newEntityHooks: NewEntityHook[] = [];

/** Runs `hook` whenever flair stores entities it never saw before, in the same transaction. */
export function onNewEntity(hook: NewEntityHook): void {
  newEntityHooks.push(hook);
}

/** Identifies the version of an object's text that flair read, so the same version is never flaired twice. */
const versionOf = (source: string) => createHash('sha1').update(source).digest('base64url');

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

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What makes a cell more than plain text; most are not, and need no sanitizing (the slow part of flair). */
const MARKUP = /[<>&]/;

/** An alert cell as the HTML flair marks up: markup is sanitized; other JSON values are shown as JSON. */
const cellHtml = (value: unknown) =>
  typeof value !== 'string' ? escapeHtml(JSON.stringify(value) ?? '') : MARKUP.test(value) ? sanitizeEntryHtml(value) : value;

/** One object's flair: the HTML to serve, and the entities it holds. */
interface Flaired {
  html: string;
  entities: EntityMatch[];
}

/** Flairs HTML; text without markup characters is its own HTML, and skips reading markup (most alert cells). */
function flairHtml(html: string, options: ExtractOptions): Flaired {
  const entities = MARKUP.test(html) ? extractFromHtml(html, options) : extractEntities(html, options);
  return { html: entities.length === 0 ? html : renderFlair(html, entities), entities };
}

/** Flairs an entry's body, or each cell of an alert (its HTML then JSON of the cells by column). */
function flairObject(type: FlairTarget, source: string, options: ExtractOptions): Flaired {
  if (type === 'entry') return flairHtml(source, options);
  const cells: Record<string, string> = {};
  const entities: EntityMatch[] = [];
  for (const [column, value] of Object.entries(JSON.parse(source) as Record<string, unknown>)) {
    const cell = flairHtml(cellHtml(value), options);
    cells[column] = cell.html;
    // Not push(...): a cell may hold more entities than a call takes arguments.
    for (const entity of cell.entities) entities.push(entity);
  }
  return { html: JSON.stringify(cells), entities };
}

/** The extractor's options now: the enabled admin-defined types, and the allow-list. */
export async function extractOptions(unit: Unit): Promise<ExtractOptions> {
  const [types, allowed] = await Promise.all([entitytypes(unit.db, { enabledOnly: true }), allowList(unit.db)]);
  return {
    extra: types.map((t) => extraType({ value: t.value, match: t.match, kind: t.kind as EntitytypeKind })),
    skip: allowFilter(allowed.map((a) => ({ value: a.value, kind: a.kind as AllowKind }))),
  };
}

/** How long flair runs before it lets the event loop serve requests. */
const SLICE_MS = 20;

/** Ids per query when loading objects to flair. */
const LOAD_CHUNK = 500;

/** One object flaired from the version of its text `version` names, ready to be stored. */
export interface PreparedFlair {
  id: number;
  version: string;
  /** The text it was flaired from: the transaction compares it with the stored text, rather than hashing that again. */
  source: string;
  flair: Flaired;
  /** How many times each entity (`type value`) is written in it, counted before the transaction. */
  counts: Map<string, number>;
}

/** `type value` of an entity: how a batch tells entities apart before they have ids. */
const entityKey = (e: { type: string; value: string }) => `${e.type} ${e.value}`;

/** How many times each entity is written in one object. */
function countEntities(entities: readonly EntityMatch[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of entities) counts.set(entityKey(e), (counts.get(entityKey(e)) ?? 0) + 1);
  return counts;
}

/**
 * Flairs alerts or entries outside any transaction, reading only: the slow part (extraction) never
 * holds the writer. Unless `force`d, an object whose current text was flaired already is left out.
 */
export async function prepareFlair(
  unit: Unit,
  type: FlairTarget,
  ids: readonly number[],
  options: ExtractOptions,
  force = false,
): Promise<PreparedFlair[]> {
  const prepared: PreparedFlair[] = [];
  let sliceStart = performance.now();
  for (let i = 0; i < ids.length; i += LOAD_CHUNK) {
    const chunk = ids.slice(i, i + LOAD_CHUNK);
    const [sources, stored] = await Promise.all([sourcesOf(unit.db, type, chunk), flairOf(unit.db, type, chunk)]);
    for (const [id, source] of sources) {
      const version = versionOf(source);
      if (!force && stored.get(id)?.source_hash === version) continue;
      const flair = flairObject(type, source, options);
      prepared.push({ id, version, source, flair, counts: countEntities(flair.entities) });
      // Extraction is synchronous: long batches give the event loop back, so requests keep being served.
      if (performance.now() - sliceStart > SLICE_MS) {
        await yieldToEvents();
        sliceStart = performance.now();
      }
    }
  }
  return prepared;
}

/**
 * Stores prepared flair in the unit's transaction: entities once per (type, value), appearances, and
 * the flaired HTML; the stored text is only read. An object whose text changed since it was read is
 * left to the change that changed it, later in the log. Returns how many objects it stored.
 */
export async function storeFlair(unit: Unit, type: FlairTarget, prepared: readonly PreparedFlair[]): Promise<number> {
  if (prepared.length === 0) return 0;
  const current = await sourcesOf(
    unit.db,
    type,
    prepared.map((p) => p.id),
  );
  const still = prepared.filter((p) => current.get(p.id) === p.source);
  const distinct = new Map<string, { type: string; value: string }>();
  for (const p of still) for (const e of p.flair.entities) distinct.set(entityKey(e), { type: e.type, value: e.value });
  const { ids: entityIds, fresh } = await upsertEntities(unit.db, [...distinct.values()], unit.now);
  const counts = new Map<number, Map<number, number>>();
  for (const p of still) counts.set(p.id, new Map([...p.counts].map(([key, n]) => [entityIds.get(key)!, n])));
  await setAppearances(unit.db, type, counts, unit.now);
  await saveFlair(
    unit.db,
    type,
    still.map((p) => ({ id: p.id, hash: p.version, html: p.flair.html })),
    unit.now,
  );
  if (fresh.length > 0) for (const hook of newEntityHooks) await hook(unit, fresh);
  return still.length;
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

/** Flair of what a batch of the change log created or changed, prepared outside the transaction. */
export type PreparedChanges = Record<FlairTarget, PreparedFlair[]>;

/** The `flair` consumer's reading part: flairs the alerts and entries a batch created or changed. */
export async function prepareFlairChanges(app: App, changes: readonly ChangeRecord[]): Promise<PreparedChanges> {
  const targets = flairTargetsOf(changes);
  if (targets.alert.length === 0 && targets.entry.length === 0) return { alert: [], entry: [] };
  const unit = reader(app, FLAIR);
  const options = await extractOptions(unit);
  return {
    alert: await prepareFlair(unit, 'alert', targets.alert, options),
    entry: await prepareFlair(unit, 'entry', targets.entry, options),
  };
}

/** The `flair` consumer's writing part, in the transaction that moves its cursor. */
export async function storeFlairChanges(unit: Unit, _changes: readonly ChangeRecord[], prepared: unknown): Promise<void> {
  const { alert, entry } = prepared as PreparedChanges;
  await storeFlair(unit, 'alert', alert);
  await storeFlair(unit, 'entry', entry);
}
