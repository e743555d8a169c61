import Type, { type Static } from 'typebox';
import { Body, Epoch, Groups, Id, labels, Name, patch, Status, strict, Subject, TlpLevel } from './common.js';

/** One data row of an alertgroup: any number of key/value pairs. */
const Row = Type.Record(Type.String(), Type.Unknown());

/** Column names, in the order the alerts are shown. */
const Columns = Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 5000 });

/** An alertgroup as detection systems, mail ingest and the CLI send it. */
export const ALERTGROUP_INPUT = strict({
  message_id: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  subject: Subject,
  data: Type.Array(Row, { minItems: 1, maxItems: 100000 }),
  columns: Type.Optional(Columns),
  groups: Type.Optional(Groups),
  owner: Type.Optional(Name),
  tlp: Type.Optional(TlpLevel),
  /** When the alerts happened (a mail's date), as against when SCOT stored them. */
  occurred: Type.Optional(Epoch),
  /** The message the alerts came in, as HTML and as plain text: kept as evidence. */
  body: Type.Optional(Body),
  body_plain: Type.Optional(Body),
  ...labels,
});
/** An alertgroup as ingest takes it. */
export type AlertgroupInput = Static<typeof ALERTGROUP_INPUT>;

/** What an update may change on an alertgroup. */
export const ALERTGROUP_PATCH = patch({
  subject: Type.Optional(Subject),
  owner: Type.Optional(Name),
  status: Type.Optional(Status),
  groups: Type.Optional(Groups),
  tlp: Type.Optional(TlpLevel),
  ...labels,
});

/** One more row for an alertgroup already stored. */
export const ALERT_INPUT = strict({
  alertgroup: Id,
  data: Row,
  /** The row's columns in order, as SCOT 3 sends them; added to the alertgroup's after those it has. */
  columns: Type.Optional(Columns),
  tlp: Type.Optional(TlpLevel),
});
/** One row added to a stored alertgroup. */
export type AlertInput = Static<typeof ALERT_INPUT>;

/** An alert's data is evidence: an update changes how it is handled, never what it says. */
export const ALERT_PATCH = patch({
  owner: Type.Optional(Name),
  status: Type.Optional(Status),
  promote: Type.Optional(Type.Union([Type.Literal('new'), Id])),
  tlp: Type.Optional(TlpLevel),
  ...labels,
});
