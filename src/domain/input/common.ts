import Type, { type Static } from 'typebox';
import { MAX_EPOCH, MAX_ID } from '../catalog.js';

/**
 * Field shapes shared by the inputs of several nouns. Objects refuse unknown fields, so a typo
 * never passes silently.
 */

/** A name: a label, a group, an owner. */
export const Name = Type.String({ minLength: 1, maxLength: 200 });
/** An object id. */
export const Id = Type.Integer({ minimum: 1, maximum: MAX_ID });
/** Ids of objects to act on together. */
export const IdList = Type.Array(Id, { minItems: 1, maxItems: 10000 });
/** Free text describing a label or group. */
export const Description = Type.String({ maxLength: 2000 });
/** Epoch seconds, or null to clear. */
export const Epoch = Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0, maximum: MAX_EPOCH });
/** What an alertgroup, event or incident is about. */
export const Subject = Type.String({ minLength: 1, maxLength: 10000 });
/** The statuses set by hand; `promoted` comes only from promoting. */
export const Status = Type.Enum(['open', 'closed']);
/** Entry bodies are HTML and may hold pasted images. */
export const Body = Type.String({ maxLength: 20 * 1024 * 1024 });

/** Traffic Light Protocol markings, SCOT 3's colours; `unset` is the absence of one. */
export const TlpLevel = Type.Enum(['unset', 'white', 'green', 'amber', 'amber+strict', 'red', 'black']);

/** Who may read and who may modify an object. */
export const Groups = Type.Object(
  { read: Type.Optional(Type.Array(Name, { maxItems: 100 })), modify: Type.Optional(Type.Array(Name, { maxItems: 100 })) },
  { additionalProperties: false },
);

/** A tag or source: its name, or its name with a note kept on the label when it is first seen. */
export const Label = Type.Union([
  Name,
  Type.Object({ name: Name, note: Type.Optional(Description) }, { additionalProperties: false }),
]);
/** Tags or sources given together. */
export const LabelList = Type.Array(Label, { maxItems: 200 });

/** Tags and sources, as every workflow object takes them. */
export const labels = { tag: Type.Optional(LabelList), source: Type.Optional(LabelList) };

/** What an event and an incident both take, created or changed. */
export const caseFields = {
  subject: Type.Optional(Subject),
  status: Type.Optional(Status),
  owner: Type.Optional(Name),
  groups: Type.Optional(Groups),
  tlp: Type.Optional(TlpLevel),
  ...labels,
};

/** What every update may carry: the revision it was based on, and a request to undelete. */
const patchBase = { rev: Type.Optional(Id), undelete: Type.Optional(Type.Boolean()) };

/** An object schema that refuses unknown fields. */
export const strict = <P extends Type.TProperties>(properties: P) => Type.Object(properties, { additionalProperties: false });

/** An update: unknown fields refused, at least one field given. */
export const patch = <P extends Type.TProperties>(properties: P) =>
  Type.Object({ ...patchBase, ...properties }, { additionalProperties: false, minProperties: 1 });

/** A tag or source as given. */
export type LabelInput = Static<typeof Label>;

/** The name of a label as given. */
export const labelName = (label: LabelInput): string => (typeof label === 'string' ? label : label.name);
