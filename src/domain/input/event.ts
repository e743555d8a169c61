import Type, { type Static } from 'typebox';
import { Groups, Id, IdList, labels, Name, patch, Status, strict, Subject, TlpLevel } from './common.js';

/** A new event: by hand, or promoted from alerts. */
export const EVENT_INPUT = strict({
  subject: Type.Optional(Subject),
  status: Type.Optional(Status),
  owner: Type.Optional(Name),
  groups: Type.Optional(Groups),
  tlp: Type.Optional(TlpLevel),
  ...labels,
  promote_from: Type.Optional(strict({ alert: Type.Optional(IdList) })),
});
/** A new event as its use case takes it. */
export type EventInput = Static<typeof EVENT_INPUT>;

/** What an update may change on an event. */
export const EVENT_PATCH = patch({
  subject: Type.Optional(Subject),
  owner: Type.Optional(Name),
  status: Type.Optional(Status),
  groups: Type.Optional(Groups),
  promote: Type.Optional(Type.Union([Type.Literal('new'), Id])),
  tlp: Type.Optional(TlpLevel),
  ...labels,
});
