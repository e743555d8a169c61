import Type, { type Static } from 'typebox';
import { Description, Name, strict } from './common.js';

/** Inputs of sign-in, users, groups, labels and API keys. */

/** Usernames: letters, digits and a few marks, as mail addresses and directory names use. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';
/** Group names, as directories name them (spaces allowed). */
export const GROUP_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$';
/** The shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;

const Username = Type.String({ pattern: USERNAME_PATTERN });
const GroupName = Type.String({ pattern: GROUP_PATTERN });
const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1000 });
const Fullname = Type.String({ maxLength: 200 });
const GroupNames = Type.Array(GroupName, { maxItems: 100 });

/** Signing in with a username and password. */
export const LOGIN_INPUT = strict({
  username: Type.String({ minLength: 1, maxLength: 200 }),
  password: Type.String({ maxLength: 1000 }),
});

/** A new user. */
export const USER_INPUT = strict({
  username: Username,
  fullname: Type.Optional(Fullname),
  password: Type.Optional(Password),
  groups: Type.Optional(GroupNames),
});
/** A new user as its use case takes it. */
export type UserInput = Static<typeof USER_INPUT>;

/** What may change on a user; `old_password` proves a user changing their own. */
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
/** A user update as its use case takes it. */
export type UserPatch = Static<typeof USER_PATCH>;

/** A new group. */
export const GROUP_INPUT = strict({ name: GroupName, description: Type.Optional(Description) });
/** A new group as its use case takes it. */
export type GroupInput = Static<typeof GROUP_INPUT>;
/** What may change on a group. */
export const GROUP_PATCH = Type.Object(
  { description: Type.Optional(Description) },
  { additionalProperties: false, minProperties: 1 },
);
/** A group update as its use case takes it. */
export type GroupPatch = Static<typeof GROUP_PATCH>;

/** A new tag or source. */
export const LABEL_INPUT = strict({ name: Name, description: Type.Optional(Description) });
/** A tag or source renamed or described. */
export const LABEL_PATCH = Type.Object(
  { name: Type.Optional(Name), description: Type.Optional(Description) },
  { additionalProperties: false, minProperties: 1 },
);
/** A label update as its use case takes it. */
export type LabelPatch = Static<typeof LABEL_PATCH>;

/** Every field may be left out: a key for the caller, named `api`. */
export const APIKEY_INPUT = strict({
  user: Type.Optional(Username),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
