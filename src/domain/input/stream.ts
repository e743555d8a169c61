import { WORKFLOW_TYPES, type WorkflowType } from '../catalog.js';
import { badInput } from '../error.js';

/** The query of `GET /stream`: `since`, the last seq the client saw, to replay what it missed. */
export const STREAM_QUERY = {
  type: 'object',
  properties: { since: { type: 'string', pattern: '^[0-9]{1,15}$' } },
  additionalProperties: false,
} as const;

export interface StreamQuery {
  since?: string;
}

/** An object a client views, or the entry it edits. */
export interface PresenceTarget {
  type: WorkflowType;
  id: number;
}

/** What a client may say on the stream: which object it views, which entry it edits; null for none. */
export type StreamMessage = { viewing: PresenceTarget | null } | { editing: PresenceTarget | null };

/** The message a client sent, or badInput naming the field at fault. */
export function parseStreamMessage(text: string): StreamMessage {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw badInput(
      '(message)',
      'a stream message must be JSON: {"viewing": {"type", "id"}} or {"editing": {"type": "entry", "id"}}',
    );
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw badInput('(message)', 'a stream message must be an object: {"viewing": ...} or {"editing": ...}');
  }
  const keys = Object.keys(message);
  if (keys.length !== 1 || (keys[0] !== 'viewing' && keys[0] !== 'editing')) {
    throw badInput(
      keys.find((k) => k !== 'viewing' && k !== 'editing') ?? '(message)',
      'a stream message has one field: "viewing" or "editing"',
    );
  }
  const field = keys[0];
  const target = (message as Record<string, unknown>)[field];
  if (target === null) return field === 'viewing' ? { viewing: null } : { editing: null };
  const parsed = targetOf(field, target);
  if (field === 'editing' && parsed.type !== 'entry')
    throw badInput('editing.type', 'only an entry is edited: {"editing": {"type": "entry", "id": 12}}');
  return field === 'viewing' ? { viewing: parsed } : { editing: parsed };
}

function targetOf(field: string, target: unknown): PresenceTarget {
  if (typeof target !== 'object' || target === null || Array.isArray(target))
    throw badInput(field, `${field} must be {"type", "id"} or null`);
  const { type, id, ...extra } = target as Record<string, unknown>;
  const unknownField = Object.keys(extra)[0];
  if (unknownField !== undefined) throw badInput(`${field}.${unknownField}`, `${field}.${unknownField} is not a known field`);
  if (typeof type !== 'string' || !(WORKFLOW_TYPES as readonly string[]).includes(type)) {
    throw badInput(`${field}.type`, `${field}.type must be one of ${WORKFLOW_TYPES.join(', ')}`);
  }
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)
    throw badInput(`${field}.id`, `${field}.id must be a positive whole number`);
  return { type: type as WorkflowType, id };
}
