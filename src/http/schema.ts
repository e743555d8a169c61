import { ENTRY_CLASSES } from '../domain/status.js';
import { ENTRY_TARGET_TYPES, MAX_EPOCH, MAX_ID } from '../domain/catalog.js';
import { INCIDENT_FIELDS } from '../app/object.js';
import { GROUP_PATTERN, USERNAME_PATTERN } from '../app/user.js';

/** JSON schemas of request bodies. Unknown fields are refused so a typo never passes silently. */

const name = { type: 'string', minLength: 1, maxLength: 200 };
const nameList = { type: 'array', items: name, maxItems: 200 };
const id = { type: 'integer', minimum: 1, maximum: MAX_ID };
const idList = { type: 'array', items: id, minItems: 1, maxItems: 10000 };
const epoch = { type: ['integer', 'null'], minimum: 0, maximum: MAX_EPOCH };
const groups = {
  type: 'object',
  additionalProperties: false,
  properties: { read: { type: 'array', items: name, maxItems: 100 }, modify: { type: 'array', items: name, maxItems: 100 } },
};
const subject = { type: 'string', minLength: 1, maxLength: 10000 };
const status = { type: 'string', enum: ['open', 'closed'] };
const promote = { anyOf: [{ type: 'string', enum: ['new'] }, id] };
const body = { type: 'string', maxLength: 20 * 1024 * 1024 };

const object = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});
const update = (properties: Record<string, unknown>) => ({
  ...object({ rev: id, undelete: { type: 'boolean' }, ...properties }),
  minProperties: 1,
});

const labels = { tag: nameList, source: nameList };
const incidentFields = Object.fromEntries(
  INCIDENT_FIELDS.map((f) => [f, ['type', 'category', 'sensitivity'].includes(f) ? { type: ['string', 'null'], maxLength: 200 } : epoch]),
);

export const alertgroupCreate = object(
  {
    message_id: { type: 'string', minLength: 1, maxLength: 1000 },
    subject,
    data: { type: 'array', minItems: 1, maxItems: 100000, items: { type: 'object' } },
    columns: { type: 'array', items: { type: 'string', maxLength: 1000 }, maxItems: 5000 },
    groups,
    owner: name,
    ...labels,
  },
  ['subject', 'data'],
);

export const eventCreate = object({
  subject, status, owner: name, groups, ...labels,
  promote_from: object({ alert: idList }),
});

export const incidentCreate = object({
  subject, status, owner: name, groups, ...labels, ...incidentFields,
  promote_from: object({ event: idList }),
});

export const entryCreate = object(
  {
    target_type: { type: 'string', enum: [...ENTRY_TARGET_TYPES] },
    target_id: id,
    body,
    parent: id,
    class: { type: 'string', enum: [...ENTRY_CLASSES] },
    groups,
  },
  ['target_type', 'target_id', 'body'],
);

export const updates = {
  alertgroup: update({ subject, owner: name, status, groups, ...labels }),
  alert: update({ owner: name, status, promote, ...labels }),
  event: update({ subject, owner: name, status, groups, promote, ...labels }),
  incident: update({ subject, owner: name, status, groups, ...labels, ...incidentFields }),
  entry: update({
    body,
    class: { type: 'string', enum: [...ENTRY_CLASSES] },
    task: { type: 'string', enum: ['take', 'complete', 'open'] },
    groups,
    ...labels,
  }),
};

export const login = object({ username: { type: 'string', minLength: 1, maxLength: 200 }, password: { type: 'string', maxLength: 1000 } }, ['username', 'password']);

const username = { type: 'string', pattern: USERNAME_PATTERN };
const groupName = { type: 'string', pattern: GROUP_PATTERN };
const password = { type: 'string', minLength: 8, maxLength: 1000 };
export const userCreate = object(
  { username, fullname: { type: 'string', maxLength: 200 }, password, groups: { type: 'array', items: groupName, maxItems: 100 } },
  ['username'],
);
export const userUpdate = {
  ...object({
    fullname: { type: 'string', maxLength: 200 },
    password,
    old_password: { type: 'string', maxLength: 1000 },
    disabled: { type: 'boolean' },
    groups: { type: 'array', items: groupName, maxItems: 100 },
  }),
  minProperties: 1,
};
export const groupCreate = object({ name: groupName, description: { type: 'string', maxLength: 2000 } }, ['name']);
export const groupUpdate = { ...object({ description: { type: 'string', maxLength: 2000 } }), minProperties: 1 };
export const labelCreate = object({ name, description: { type: 'string', maxLength: 2000 } }, ['name']);
export const labelUpdate = { ...object({ name, description: { type: 'string', maxLength: 2000 } }), minProperties: 1 };
export const apikeyCreate = object({ user: username, name: { type: 'string', minLength: 1, maxLength: 200 } });

export interface UserBody {
  username: string;
  fullname?: string;
  password?: string;
  groups?: string[];
}
