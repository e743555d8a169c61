import Type, { type Static } from 'typebox';
import type { WorkflowType } from '../catalog.js';
import { ALERT_PATCH, ALERTGROUP_PATCH } from './alertgroup.js';
import { ENTRY_PATCH } from './entry.js';
import { EVENT_PATCH } from './event.js';
import { INCIDENT_PATCH } from './incident.js';

/** The partial update each workflow type takes. */
export const PATCHES = {
  alertgroup: ALERTGROUP_PATCH,
  alert: ALERT_PATCH,
  event: EVENT_PATCH,
  incident: INCIDENT_PATCH,
  entry: ENTRY_PATCH,
} as const satisfies Record<WorkflowType, unknown>;

/** Any workflow type's update: each field means the same wherever it is allowed. */
export type Patch = Partial<
  Static<typeof ALERTGROUP_PATCH> &
    Static<typeof ALERT_PATCH> &
    Static<typeof EVENT_PATCH> &
    Static<typeof INCIDENT_PATCH> &
    Static<typeof ENTRY_PATCH>
>;

/** SCOT 3's undelete of an entry of `GET /deleted`: `PUT /deleted/:id {"status": "undelete"}`. */
export const DELETED_PATCH = Type.Object(
  { status: Type.Enum(['undelete']) },
  { additionalProperties: false, required: ['status'] },
);
