import type { WorkflowType } from '../domain/catalog.js';
import type { Patch } from '../domain/input/patch.js';
import type { Groups } from '../domain/principal.js';
import type { SettableStatus } from '../domain/status.js';
import type { RowOf } from '../store/schema.js';
import { updateTracked, type TrackedRow } from '../store/tracked.js';
import type { AlertRecord } from './alert.js';
import type { AlertgroupRecord } from './alertgroup.js';
import type { EntryRecord } from './entry.js';
import type { EventRecord } from './event.js';
import type { IncidentRecord } from './incident.js';
import type { Unit } from './unit.js';

/** What one change did, field by field as `[before, after]`, as the change log stores it. */
export type Diff = Record<string, unknown>;

interface WorkflowRecords {
  alertgroup: AlertgroupRecord;
  alert: AlertRecord;
  event: EventRecord;
  incident: IncidentRecord;
  entry: EntryRecord;
}

/** The record a use case answers with for a workflow type. */
export type RecordOf<T extends WorkflowType> = WorkflowRecords[T];

/** An object of any workflow type as the API answers it. */
export type WorkflowRecord = RecordOf<WorkflowType>;

/**
 * What sets one workflow type apart, for the use cases every type shares (get, list, update,
 * delete, undelete, history). Each type's file exports its own; the optional parts default to
 * doing nothing more than the shared use case does.
 */
export interface Noun<T extends WorkflowType> {
  /** Plain columns a PUT may set. */
  plainFields: readonly (keyof Patch)[];
  /** Its records, loading what a page of rows refers to at once. */
  present(unit: Unit, rows: RowOf<T>[]): Promise<RecordOf<T>[]>;
  /** The row when the caller may change it, when that rule is not the modify groups'. */
  editable?(unit: Unit, id: number, options: { includeDeleted?: boolean }): Promise<RowOf<T>>;
  /** Sets its status by hand. */
  setStatus(unit: Unit, row: RowOf<T>, status: SettableStatus): Promise<void>;
  /** Its own fields of a PUT, stored with the plain ones; returns their diff. */
  edit?(unit: Unit, row: RowOf<T>, patch: Patch): Promise<Diff>;
  /** What a PUT asks it to do after its fields and status are set. */
  act?(unit: Unit, row: RowOf<T>, patch: Patch): Promise<void>;
  /** What goes with it when its groups change, besides the entries on it. */
  onRegroup?(unit: Unit, row: RowOf<T>, after: Groups): Promise<void>;
  /** What goes with it when it is deleted, besides the entries on it. */
  onDelete?(unit: Unit, row: RowOf<T>): Promise<void>;
  /** What comes back with it, deleted at `stamp`, besides the entries on it; refuses when it cannot come back alone. */
  onRestore?(unit: Unit, row: RowOf<T>, stamp: number): Promise<void>;
  /** The change that created it when another object's change did (an alert's alertgroup). */
  createdBy?(row: RowOf<T>): { type: WorkflowType; target_id: number };
  /** Where a new event or incident promoted from its rows takes its subject, labels and groups, when not from them. */
  origin?(unit: Unit, rows: RowOf<T>[]): Promise<{ type: WorkflowType; rows: TrackedRow[] }>;
  /** What follows its rows' promotion into `parentId`. */
  promoted?(unit: Unit, parentId: number, rows: RowOf<T>[]): Promise<void>;
}

/** Sets the status of an object whose status is its own, with `also`: fields unset until now (when an incident first closed). */
export async function setOwnStatus(
  unit: Unit,
  type: WorkflowType,
  row: TrackedRow,
  status: SettableStatus,
  also: Record<string, number> = {},
): Promise<void> {
  if (row.status === status) return;
  await updateTracked(unit.db, type, row.id, { status, ...also, updated: unit.now });
  unit.record(type, row.id, 'update', {
    status: [row.status, status],
    ...Object.fromEntries(Object.entries(also).map(([k, v]) => [k, [null, v]])),
  });
}
