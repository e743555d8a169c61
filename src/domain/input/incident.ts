import Type, { type Static } from 'typebox';
import { caseFields, Epoch, IdList, patch, strict } from './common.js';

/** Reporting fields of an incident, set by hand. */
export const INCIDENT_FIELDS = [
  'type',
  'category',
  'sensitivity',
  'security_category',
  'reportable',
  'occurred',
  'discovered',
  'reported',
  'closed',
] as const;

const Text = Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 200 });
const reporting = {
  type: Type.Optional(Text),
  category: Type.Optional(Text),
  sensitivity: Type.Optional(Text),
  security_category: Type.Optional(Text),
  /** Whether the incident must be reported, 1 or 0 as SCOT 3 wrote it. */
  reportable: Type.Optional(Type.Enum([0, 1])),
  occurred: Type.Optional(Epoch),
  discovered: Type.Optional(Epoch),
  reported: Type.Optional(Epoch),
  closed: Type.Optional(Epoch),
};

/** A new incident: by hand, or promoted from events. */
export const INCIDENT_INPUT = strict({
  ...caseFields,
  ...reporting,
  promote_from: Type.Optional(strict({ event: Type.Optional(IdList) })),
});
/** A new incident as its use case takes it. */
export type IncidentInput = Static<typeof INCIDENT_INPUT>;

/** What an update may change on an incident. */
export const INCIDENT_PATCH = patch({
  ...caseFields,
  ...reporting,
});
