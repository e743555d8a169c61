import { LABEL_KINDS, type LabelKind } from '../domain/catalog.js';
import { deleteLabel, ensureLabels, linkLabels, updateLabel } from '../store/label.js';
import { isForeignKeyViolation } from '../store/dialect/errors.js';
import type { Store } from '../store/index.js';
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

async function labelIds(unit: Unit, kind: LabelKind, names: readonly string[]): Promise<number[]> {
  const cache = cacheOf(unit.app.store)[kind];
  const missing = names.filter((n) => !cache.has(n));
  const found = missing.length > 0 ? await ensureLabels(unit.db, kind, missing, unit.now) : new Map<string, number>();
  // Remembered only once committed: a rolled-back transaction may have created these labels.
  if (found.size > 0) unit.afterCommit(() => found.forEach((id, name) => cache.set(name, id)));
  return names.map((n) => cache.get(n) ?? found.get(n)!);
}

/** Links the targets to the named tags and sources, creating labels seen for the first time. */
export async function attachLabels(
  unit: Unit,
  targetType: string,
  targetIds: readonly number[],
  labels: Partial<Record<LabelKind, readonly string[]>>,
) {
  for (const kind of LABEL_KINDS) {
    const names = labels[kind];
    if (!names || names.length === 0) continue;
    await linkLabels(unit.db, kind, targetType, targetIds, await labelIds(unit, kind, names));
  }
}

export async function removeLabel(store: Store, kind: LabelKind, id: number) {
  await deleteLabel(store.db, kind, id);
  forgetLabels(store);
}

export async function changeLabel(store: Store, kind: LabelKind, id: number, values: { name?: string; description?: string }) {
  await updateLabel(store.db, kind, id, values);
  if (values.name !== undefined) forgetLabels(store);
}
