import type { Generated, Selectable } from 'kysely';
import type { WorkflowType } from '../domain/catalog.js';

/**
 * Table shapes as stored. Times are epoch seconds; JSON columns are text holding JSON,
 * so the same rows and queries serve SQLite and PostgreSQL.
 */
interface Tracked {
  id: Generated<number>;
  status: string;
  owner: string;
  created: number;
  updated: number;
  deleted_at: number | null;
  rev: Generated<number>;
  read_groups: string;
  modify_groups: string;
  /** Traffic Light Protocol marking; `unset` when none was given. */
  tlp: Generated<string>;
}

export interface AlertgroupTable extends Tracked {
  /** The dedup key among the alertgroups one poster can read; not unique across all of them. */
  message_id: string | null;
  subject: string;
  columns: string;
  alert_count: number;
  open_count: number;
  closed_count: number;
  promoted_count: number;
  view_count: Generated<number>;
  /** When the alerts happened (a mail's date), when the sender said so. */
  occurred: number | null;
  /** The message the alerts came in (SCOT 3's mail ingester sends it), as HTML and plain text. */
  body: string | null;
  body_plain: string | null;
}

export interface AlertTable extends Tracked {
  alertgroup_id: number;
  data: string;
  promotion_id: number | null;
}

export interface EventTable extends Tracked {
  subject: string;
  promotion_id: number | null;
  view_count: Generated<number>;
}

export interface IncidentTable extends Tracked {
  subject: string;
  type: string | null;
  category: string | null;
  sensitivity: string | null;
  security_category: string | null;
  /** 1 when the incident must be reported. */
  reportable: Generated<number>;
  occurred: number | null;
  discovered: number | null;
  reported: number | null;
  closed: number | null;
  view_count: Generated<number>;
}

export interface EntryTable extends Tracked {
  target_type: string;
  target_id: number;
  parent_id: number | null;
  body: string;
  class: string;
  task_status: string | null;
  task_who: string | null;
  task_when: number | null;
}

export interface LabelTable {
  id: Generated<number>;
  name: string;
  description: string;
  created: number;
}

export interface LabelLinkTable {
  label_id: number;
  target_type: string;
  target_id: number;
}

export interface UserTable {
  id: Generated<number>;
  username: string;
  fullname: string;
  password_hash: string | null;
  disabled: number;
  created: number;
  updated: number;
  last_login: number | null;
}

export interface GroupTable {
  id: Generated<number>;
  name: string;
  description: string;
  created: number;
}

export interface UserGroupTable {
  user_id: number;
  group_id: number;
}

export interface ApikeyTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  key_hash: string;
  prefix: string;
  created: number;
  last_used: number | null;
  revoked_at: number | null;
}

export interface SessionTable {
  token_hash: string;
  user_id: number;
  created: number;
  expires: number;
  last_seen: number;
}

export interface ChangeTable {
  seq: Generated<number>;
  at: number;
  who: string;
  type: string;
  target_id: number;
  action: string;
  diff: string;
}

export interface JobTable {
  id: Generated<number>;
  kind: string;
  /** JSON text. */
  payload: string;
  /** pending | running | done | failed (waits for a retry) | dead (out of attempts). */
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  /** De-duplicates jobs still to run (pending, running, failed). */
  key: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  progress_done: number | null;
  progress_total: number | null;
  created: number;
  updated: number;
  finished: number | null;
}

export interface JobScheduleTable {
  name: string;
  next_at: number;
}

export interface CursorTable {
  name: string;
  /** The last change-log seq the consumer has processed. */
  seq: number;
  lease_owner: string | null;
  lease_until: number | null;
  updated: number;
}

export interface ViewHistoryTable {
  target_type: string;
  target_id: number;
  username: string;
  viewed_at: number;
  address: string;
}

export interface EntityTable {
  id: Generated<number>;
  type: string;
  value: string;
  /** untracked | tracked. */
  status: string;
  /** JSON text: enrichment results by enricher name. */
  data: string;
  created: number;
  updated: number;
}

/** One entity in one object: how often it is written there, and when flair first and last found it. */
export interface AppearanceTable {
  entity_id: number;
  /** alert | entry */
  target_type: string;
  target_id: number;
  count: number;
  first_seen: number;
  last_seen: number;
}

/** The flaired HTML of one object, for the version of its text that `source_hash` names. */
export interface FlairTable {
  target_type: string;
  target_id: number;
  source_hash: string;
  /** An entry's body, or JSON of an alert's cells by column. */
  html: string;
  updated: number;
}

/** A value, CIDR block or domain that is never flaired. */
export interface EntityAllowTable {
  id: Generated<number>;
  value: string;
  /** value | cidr | domain */
  kind: string;
  created: number;
}

/** An admin-defined entity type. */
export interface EntitytypeTable {
  id: Generated<number>;
  value: string;
  match: string;
  /** literal | regex */
  kind: string;
  /** enabled | disabled */
  status: string;
  /** The reflair job its last change started. */
  job_id: number | null;
  created: number;
  updated: number;
}

/** One object in the search index: its text, what it opens, and who may find it. */
export interface SearchDocTable {
  doc: Generated<number>;
  type: string;
  object_id: number;
  /** Where a hit opens: an entry's object, an alert's alertgroup, else the object itself. */
  target_type: string;
  target_id: number;
  /** JSON array: the object's read and modify groups. */
  readers: string;
  status: string;
  owner: string;
  created: number;
  subject: string;
  /** The indexed text, for snippets. */
  text: string;
}

/**
 * PostgreSQL only: live (not deleted) rows of a workflow table, counted by triggers, in shards; the
 * table's count is the sum of its shards.
 */
export interface LiveCountTable {
  type: WorkflowType;
  shard: number;
  n: number;
}

export interface Database {
  alertgroup: AlertgroupTable;
  alert: AlertTable;
  event: EventTable;
  incident: IncidentTable;
  entry: EntryTable;
  tag: LabelTable;
  source: LabelTable;
  tag_link: LabelLinkTable;
  source_link: LabelLinkTable;
  user: UserTable;
  group: GroupTable;
  user_group: UserGroupTable;
  apikey: ApikeyTable;
  session: SessionTable;
  change: ChangeTable;
  job: JobTable;
  job_schedule: JobScheduleTable;
  cursor: CursorTable;
  view_history: ViewHistoryTable;
  entity: EntityTable;
  appearance: AppearanceTable;
  flair: FlairTable;
  entity_allow: EntityAllowTable;
  entitytype: EntitytypeTable;
  search_doc: SearchDocTable;
  live_count: LiveCountTable;
}

/** An alertgroup as stored. */
export type AlertgroupRow = Selectable<AlertgroupTable>;
/** An alert as stored. */
export type AlertRow = Selectable<AlertTable>;
/** An event as stored. */
export type EventRow = Selectable<EventTable>;
/** An incident as stored. */
export type IncidentRow = Selectable<IncidentTable>;
/** An entry as stored. */
export type EntryRow = Selectable<EntryTable>;

interface WorkflowRows {
  alertgroup: AlertgroupRow;
  alert: AlertRow;
  event: EventRow;
  incident: IncidentRow;
  entry: EntryRow;
}

/** The stored row of a workflow type; `RowOf<WorkflowType>` is a row of any of them. */
export type RowOf<T extends WorkflowType> = WorkflowRows[T];
