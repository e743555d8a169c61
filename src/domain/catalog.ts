/**
 * The object types of SCOT and what the API may filter and sort them by.
 * Pure data: the store turns it into SQL, the HTTP layer into query validation.
 */
export const WORKFLOW_TYPES = ['alertgroup', 'alert', 'event', 'incident', 'entry'] as const;
export type WorkflowType = (typeof WORKFLOW_TYPES)[number];

/** The largest id: ids are 32-bit integer columns (PostgreSQL `serial`), so no larger one exists. */
export const MAX_ID = 2_147_483_647;

/** The latest time, in epoch seconds: the end of year 9999, the last date every client can show. */
export const MAX_EPOCH = 253_402_300_799;

/** Objects an entry may be written on: workflow objects, and entities (notes on an indicator, as in SCOT 3). */
export const ENTRY_TARGET_TYPES = ['alertgroup', 'alert', 'event', 'incident', 'entity'] as const;
export type EntryTargetType = (typeof ENTRY_TARGET_TYPES)[number];
/** The workflow objects an entry may be written on: they have groups and a marking an entry takes by default. */
export type TrackedTargetType = Exclude<EntryTargetType, 'entity'>;

/** Labels on any object; every workflow list also filters by them (`tag=phishing`). */
export const LABEL_KINDS = ['tag', 'source'] as const;
export type LabelKind = (typeof LABEL_KINDS)[number];

/**
 * How a list query may filter on a field:
 * - `exact`: one value or several separated by commas (any of them),
 * - `contains`: case-insensitive substring,
 * - `int`: one id or several separated by commas,
 * - `time`: `<from>,<to>` in epoch seconds, either side may be empty.
 */
export type FilterKind = 'exact' | 'contains' | 'int' | 'time';

export interface ListField {
  column: string;
  filter: FilterKind;
  /** The column may hold null; lists sort nulls first, before every value, on both databases. */
  nullable?: true;
}

const common: Record<string, ListField> = {
  id: { column: 'id', filter: 'int' },
  status: { column: 'status', filter: 'exact' },
  tlp: { column: 'tlp', filter: 'exact' },
  owner: { column: 'owner', filter: 'exact' },
  created: { column: 'created', filter: 'time' },
  updated: { column: 'updated', filter: 'time' },
};

/** How often an object was opened; SCOT 3 calls it `views`. */
const viewed: Record<string, ListField> = {
  view_count: { column: 'view_count', filter: 'int' },
  views: { column: 'view_count', filter: 'int' },
};

export const LIST_FIELDS: Record<WorkflowType, Record<string, ListField>> = {
  alertgroup: {
    ...common,
    ...viewed,
    subject: { column: 'subject', filter: 'contains' },
    message_id: { column: 'message_id', filter: 'exact', nullable: true },
    alert_count: { column: 'alert_count', filter: 'int' },
    open_count: { column: 'open_count', filter: 'int' },
    occurred: { column: 'occurred', filter: 'time', nullable: true },
  },
  alert: {
    ...common,
    alertgroup: { column: 'alertgroup_id', filter: 'int' },
    promotion_id: { column: 'promotion_id', filter: 'int', nullable: true },
  },
  event: {
    ...common,
    ...viewed,
    subject: { column: 'subject', filter: 'contains' },
    promotion_id: { column: 'promotion_id', filter: 'int', nullable: true },
  },
  incident: {
    ...common,
    ...viewed,
    subject: { column: 'subject', filter: 'contains' },
    type: { column: 'type', filter: 'exact', nullable: true },
    category: { column: 'category', filter: 'exact', nullable: true },
    sensitivity: { column: 'sensitivity', filter: 'exact', nullable: true },
    security_category: { column: 'security_category', filter: 'exact', nullable: true },
    reportable: { column: 'reportable', filter: 'int' },
  },
  entry: {
    ...common,
    target_type: { column: 'target_type', filter: 'exact' },
    target_id: { column: 'target_id', filter: 'int' },
    parent: { column: 'parent_id', filter: 'int', nullable: true },
    class: { column: 'class', filter: 'exact' },
    task_status: { column: 'task_status', filter: 'exact', nullable: true },
  },
};
