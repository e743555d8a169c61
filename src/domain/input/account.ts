import Type, { type Static } from 'typebox';
import { Description, Name, strict } from './common.js';

/** Inputs of sign-in, users, groups, labels and API keys. */

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';
export const GROUP_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$';
export const MIN_PASSWORD_LENGTH = 8;

const Username = Type.String({ pattern: USERNAME_PATTERN });
const GroupName = Type.String({ pattern: GROUP_PATTERN });
const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1000 });
const Fullname = Type.String({ maxLength: 200 });
const GroupNames = Type.Array(GroupName, { maxItems: 100 });

export const LOGIN_INPUT = strict({ username: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ maxLength: 1000 }) });

export const USER_INPUT = strict({
  username: Username,
  fullname: Type.Optional(Fullname),
  password: Type.Optional(Password),
  groups: Type.Optional(GroupNames),
});
export type UserInput = Static<typeof USER_INPUT>;

export const USER_PATCH = Type.Object(
  {
    fullname: Type.Optional(Fullname),
    password: Type.Optional(Password),
    old_password: Type.Optional(Type.String({ maxLength: 1000 })),
    disabled: Type.Optional(Type.Boolean()),
    groups: Type.Optional(GroupNames),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UserPatch = Static<typeof USER_PATCH>;

export const GROUP_INPUT = strict({ name: GroupName, description: Type.Optional(Description) });
export type GroupInput = Static<typeof GROUP_INPUT>;
export const GROUP_PATCH = Type.Object({ description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 });
export type GroupPatch = Static<typeof GROUP_PATCH>;

export const LABEL_INPUT = strict({ name: Name, description: Type.Optional(Description) });
export const LABEL_PATCH = Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, { additionalProperties: false, minProperties: 1 });
export type LabelPatch = Static<typeof LABEL_PATCH>;

/** Every field may be left out: a key for the caller, named `api`. */
export const APIKEY_INPUT = strict({ user: Type.Optional(Username), name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });
