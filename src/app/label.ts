import { LABEL_KINDS, type LabelKind } from '../domain/catalog.js';
import { conflict, notFound } from '../domain/error.js';
import type { LabelPatch } from '../domain/input/account.js';
import { labelName, type LabelInput } from '../domain/input/common.js';
import type { Principal } from '../domain/principal.js';
import type { Executor } from '../store/index.js';
import type { DialectRules } from '../store/dialect/rules.js';
import {
  deleteLabel,
  ensureLabels,
  forgetLabels,
  labelByName,
  linkEach,
  linkLabels,
  listLabels,
  rememberedLabels,
  updateLabel,
  type LabelRecord,
} from '../store/label.js';
import { adminOnly, dedupe } from './access.js';
import type { App } from './context.js';
import { envelope, parsePage, type ListEnvelope, type RawQuery } from './list.js';
import { inTransaction, reader, type Unit } from './unit.js';

async function labelIds(
  unit: Unit,
  kind: LabelKind,
  names: readonly string[],
  notes: ReadonlyMap<string, string>,
): Promise<number[]> {
  const cache = rememberedLabels(unit.app.store)[kind];
  // Kept here: while this lookup awaits, other commits may make the memory forget some of these.
  const remembered = new Map<string, number>();
  const missing: string[] = [];
  for (const name of names) {
    const id = cache.get(name);
    if (id === undefined) missing.push(name);
    else remembered.set(name, id);
  }
  if (missing.length === 0) return names.map((n) => remembered.get(n)!);
  const { ids, created } = await ensureLabels(unit.db, kind, missing, unit.now, notes);
  // Labels are made by naming them on an object; each one made records its own change.
  for (const label of created) unit.record(kind, label.id, 'create', { name: label.name, description: label.description });
  // Remembered only once committed: a rolled-back transaction may have created these labels.
  unit.afterCommit(() => {
    for (const [name, id] of ids) cache.set(name, id);
  });
  return names.map((n) => remembered.get(n) ?? ids.get(n)!);
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

/**
 * Links each target to its own tags and sources, as `attachLabels` does for each, in one statement
 * per kind: labels seen for the first time are created together, in sorted order, and their
 * creation is recorded in `unit`.
 */
export async function attachLabelsEach(
  unit: Unit,
  targetType: string,
  targets: readonly { id: number; labels: Partial<Record<LabelKind, readonly LabelInput[]>> }[],
) {
  for (const kind of LABEL_KINDS) {
    const given = targets.map((t) => ({ id: t.id, names: labelNames(t.labels[kind]) })).filter((t) => t.names.length > 0);
    if (given.length === 0) continue;
    const notes = new Map<string, string>();
    for (const t of targets) {
      for (const l of t.labels[kind] ?? []) if (typeof l === 'object' && l.note && !notes.has(l.name)) notes.set(l.name, l.note);
    }
    const names = dedupe(given.flatMap((t) => t.names));
    const ids = new Map((await labelIds(unit, kind, names, notes)).map((id, i) => [names[i], id]));
    await linkEach(
      unit.db,
      kind,
      targetType,
      given.flatMap((t) => t.names.map((name) => ({ target_id: t.id, label_id: ids.get(name)! }))),
    );
  }
}

/** The distinct names of labels as given. */
export const labelNames = (labels: readonly LabelInput[] = []): string[] => dedupe(labels.map(labelName));

/** A tag or source as answered: SCOT 3 clients read its name as `value`. */
const withValue = (label: LabelRecord) => ({ ...label, value: label.name });

/** What the caller may see of labels: admins everything, others only what readable objects reveal. */
const scopeOf = (who: Principal) => ({ readableBy: who.admin ? null : who.groups });

/** Tags or sources by name, with counts of the objects the caller can read (`name=` finds one). */
export async function labelsPage(
  app: App,
  who: Principal,
  kind: LabelKind,
  q: RawQuery,
): Promise<ListEnvelope<LabelRecord & { value: string }>> {
  const name = typeof q.name === 'string' ? q.name : undefined;
  const { rows, total } = await listLabels(app.store.db, app.store.rules, kind, { ...parsePage(q), name, ...scopeOf(who) });
  return envelope(rows.map(withValue), total);
}

async function visibleLabel(
  db: Executor,
  rules: DialectRules,
  who: Principal,
  kind: LabelKind,
  id: number,
): Promise<LabelRecord & { value: string }> {
  const { rows } = await listLabels(db, rules, kind, { id, limit: 1, offset: 0, ...scopeOf(who) });
  if (rows.length === 0) throw notFound(kind, id);
  return withValue(rows[0]);
}

/** One label, when the caller may see it (404 otherwise, as for objects). */
export async function presentLabel(
  app: App,
  who: Principal,
  kind: LabelKind,
  id: number,
): Promise<LabelRecord & { value: string }> {
  const unit = reader(app, who);
  return visibleLabel(unit.db, unit.rules, who, kind, id);
}

/** Creates a label ahead of its first use; anyone may. */
export async function createLabel(app: App, who: Principal, kind: LabelKind, input: { name: string; description?: string }) {
  return inTransaction(app, who, async (unit) => {
    if (await labelByName(unit.db, kind, input.name)) throw conflict(`${kind} ${input.name} already exists`, 'name');
    const id = (await ensureLabels(unit.db, kind, [input.name], unit.now)).ids.get(input.name)!;
    const description = input.description ?? '';
    if (description) await updateLabel(unit.db, kind, id, { description });
    unit.record(kind, id, 'create', { name: input.name, description });
    return visibleLabel(unit.db, unit.rules, who, kind, id);
  });
}

/**
 * Describes or renames a label. A rename changes the label on every object of every group: an
 * admin's call. Anyone who can see the label may describe it.
 */
export async function changeLabel(app: App, who: Principal, kind: LabelKind, id: number, patch: LabelPatch) {
  if (patch.name !== undefined) adminOnly(who, `rename a ${kind}`);
  return inTransaction(app, who, async (unit) => {
    const before = await visibleLabel(unit.db, unit.rules, who, kind, id);
    const clash = patch.name ? await labelByName(unit.db, kind, patch.name) : undefined;
    if (clash && clash.id !== id) throw conflict(`${kind} ${patch.name} already exists`, 'name');
    const diff: Record<string, unknown> = {};
    for (const field of ['name', 'description'] as const) {
      if (patch[field] !== undefined && patch[field] !== before[field]) diff[field] = [before[field], patch[field]];
    }
    if (Object.keys(diff).length > 0) {
      await updateLabel(unit.db, kind, id, patch);
      unit.record(kind, id, 'update', diff);
      if (diff.name) unit.afterCommit(() => forgetLabels(app.store));
    }
    return visibleLabel(unit.db, unit.rules, who, kind, id);
  });
}

/** Deletes a label and its links everywhere (admins only). */
export async function removeLabel(app: App, who: Principal, kind: LabelKind, id: number) {
  adminOnly(who, `delete a ${kind}`);
  await inTransaction(app, who, async (unit) => {
    const label = await visibleLabel(unit.db, unit.rules, who, kind, id);
    await deleteLabel(unit.db, kind, id);
    unit.record(kind, id, 'delete', { name: label.name, count: label.count });
    unit.afterCommit(() => forgetLabels(app.store));
  });
}
