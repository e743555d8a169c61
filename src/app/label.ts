import { LABEL_KINDS, type LabelKind } from '../domain/catalog.js';
import type { LabelPatch } from '../domain/input/account.js';
import { labelName, type LabelInput } from '../domain/input/common.js';
import { deleteLabel, ensureLabels, linkLabels, updateLabel } from '../store/label.js';
import { isForeignKeyViolation } from '../store/dialect/errors.js';
import type { Store } from '../store/index.js';
import { dedupe } from './access.js';
import type { Unit } from './unit.js';

/**
 * Label ids by name, remembered per store: detection systems send the same few tags with every
 * alertgroup, and looking them up each time doubled the cost of ingest. A label deleted by another
 * process makes the link insert fail its foreign key; `retryOnStaleLabel` mends that.
 */
const known = new WeakMap<Store, Record<LabelKind, Map<string, number>>>();

function cacheOf(store: Store) {
  let cache = known.get(store);
  if (!cache) known.set(store, (cache = { tag: new Map(), source: new Map() }));
  return cache;
}

function forgetLabels(store: Store) {
  known.delete(store);
}

/**
 * Runs `attempt`, and once more after forgetting every remembered label id if it failed on a
 * foreign key: a label another process deleted. `attempt` must leave nothing behind when it fails.
 */
export async function retryOnStaleLabel<T>(store: Store, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!isForeignKeyViolation(err)) throw err;
    forgetLabels(store);
    return attempt();
  }
}

async function labelIds(unit: Unit, kind: LabelKind, names: readonly string[], notes: ReadonlyMap<string, string>): Promise<number[]> {
  const cache = cacheOf(unit.app.store)[kind];
  const missing = names.filter((n) => !cache.has(n));
  const found = missing.length > 0 ? await ensureLabels(unit.db, kind, missing, unit.now, notes) : new Map<string, number>();
  // Remembered only once committed: a rolled-back transaction may have created these labels.
  if (found.size > 0) unit.afterCommit(() => found.forEach((id, name) => cache.set(name, id)));
  return names.map((n) => cache.get(n) ?? found.get(n)!);
}

/**
 * Links the targets to the named tags and sources, creating labels seen for the first time; a note
 * given with a label describes it when it is new, as SCOT 3 did.
 */
export async function attachLabels(
  unit: Unit,
  targetType: string,
  targetIds: readonly number[],
  labels: Partial<Record<LabelKind, readonly LabelInput[]>>,
) {
  for (const kind of LABEL_KINDS) {
    const given = labels[kind];
    if (!given || given.length === 0) continue;
    const notes = new Map(given.flatMap((l) => (typeof l === 'object' && l.note ? [[l.name, l.note] as const] : [])));
    const ids = await labelIds(unit, kind, labelNames(given), notes);
    await linkLabels(unit.db, kind, targetType, targetIds, ids);
  }
}

/** The distinct names of labels as given. */
export const labelNames = (labels: readonly LabelInput[] = []): string[] => dedupe(labels.map(labelName));

export async function removeLabel(store: Store, kind: LabelKind, id: number) {
  await deleteLabel(store.db, kind, id);
  forgetLabels(store);
}

export async function changeLabel(store: Store, kind: LabelKind, id: number, values: LabelPatch) {
  await updateLabel(store.db, kind, id, values);
  if (values.name !== undefined) forgetLabels(store);
}
