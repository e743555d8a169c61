import Type, { type Static } from 'typebox';
import { ENTRY_TARGET_TYPES } from '../catalog.js';
import { ENTRY_CLASSES } from '../status.js';
import { Body, Groups, Id, labels, patch, strict, TlpLevel } from './common.js';

const EntryClass = Type.Enum([...ENTRY_CLASSES]);

/** An entry written on an object, or a reply to one of its entries (`parent`). */
export const ENTRY_INPUT = strict({
  target_type: Type.Enum([...ENTRY_TARGET_TYPES]),
  target_id: Id,
  body: Body,
  parent: Type.Optional(Id),
  class: Type.Optional(EntryClass),
  groups: Type.Optional(Groups),
  /** Taken from the object written on when none is named. */
  tlp: Type.Optional(TlpLevel),
});
/** A new entry as its use case takes it. */
export type EntryInput = Static<typeof ENTRY_INPUT>;

const TASK_ACTIONS = ['take', 'complete', 'open'] as const;
/** What may be done to a task: take it, complete it, or open it again. */
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** What an update may change on an entry. */
export const ENTRY_PATCH = patch({
  body: Type.Optional(Body),
  class: Type.Optional(EntryClass),
  task: Type.Optional(Type.Enum([...TASK_ACTIONS])),
  groups: Type.Optional(Groups),
  tlp: Type.Optional(TlpLevel),
  ...labels,
});
