import Type, { type Static } from 'typebox';
import { caseFields, Id, IdList, patch, strict } from './common.js';

/** A new event: by hand, or promoted from alerts. */
export const EVENT_INPUT = strict({
  ...caseFields,
  promote_from: Type.Optional(strict({ alert: Type.Optional(IdList) })),
});
/** A new event as its use case takes it. */
export type EventInput = Static<typeof EVENT_INPUT>;

/** What an update may change on an event. */
export const EVENT_PATCH = patch({
  ...caseFields,
  promote: Type.Optional(Type.Union([Type.Literal('new'), Id])),
});
