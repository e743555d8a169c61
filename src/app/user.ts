import { AppError, badInput, conflict, forbidden, notFound } from '../domain/error.js';
import {
  GROUP_PATTERN,
  MIN_PASSWORD_LENGTH,
  USERNAME_PATTERN,
  type GroupInput,
  type GroupPatch,
  type UserInput,
  type UserPatch,
} from '../domain/input/account.js';
import type { Principal } from '../domain/principal.js';
import { deleteSessionsOf } from '../store/credential.js';
import type { Executor } from '../store/index.js';
import {
  countEnabledMembers,
  deleteGroup,
  ensureGroups,
  groupById,
  groupByName,
  groupMembers,
  groupsOfUsers,
  insertUser,
  listGroups,
  listUsers,
  setUserGroups,
  updateGroup,
  updateUser,
  userById,
  userByName,
} from '../store/user.js';
import { adminOnly, dedupe } from './access.js';
import { forgetCredentials } from './auth.js';
import type { App } from './context.js';
import { generatePassword, hashPassword, verifyPassword } from './secret.js';
import { inTransaction, type Unit } from './unit.js';

/** The user `serve` makes an admin when no enabled admin exists. */
const ADMIN_USERNAME = 'admin';

/** Who acts when `serve` itself repairs the accounts; the history names it. */
const SERVE: Principal = { userId: 0, username: 'serve', groups: [], admin: true };

function checkPassword(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw badInput('password', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
}

function checkGroupNames(field: string, names: readonly string[]) {
  for (const g of names) if (!new RegExp(GROUP_PATTERN).test(g)) throw badInput(field, `"${g}" is not a valid group name`);
}

/** Groups are made by naming them; each one made records its own change. */
async function joinGroups(unit: Unit, userId: number, names: readonly string[]) {
  for (const group of await setUserGroups(unit.db, userId, dedupe(names), unit.now)) {
    unit.record('group', group.id, 'create', { name: group.name });
  }
}

/** Creates a user (admins only); the password is stored as a hash and never logged. */
export async function createUser(app: App, who: Principal, input: UserInput) {
  adminOnly(who, 'create users');
  if (!new RegExp(USERNAME_PATTERN).test(input.username)) {
    throw badInput(
      'username',
      'a username is 1-64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit',
    );
  }
  checkGroupNames('groups', input.groups ?? []);
  if (input.password !== undefined) checkPassword(input.password);
  const hash = input.password === undefined ? null : await hashPassword(input.password);
  return inTransaction(app, who, async (unit) => {
    if (await userByName(unit.db, input.username)) throw conflict(`user ${input.username} already exists`, 'username');
    const fullname = input.fullname ?? input.username;
    return addUser(unit, { username: input.username, fullname, passwordHash: hash, groups: input.groups ?? [] });
  });
}

async function addUser(
  unit: Unit,
  user: { username: string; fullname: string; passwordHash: string | null; groups: readonly string[] },
) {
  const { username, fullname, passwordHash } = user;
  const id = await insertUser(unit.db, { username, fullname, password_hash: passwordHash, now: unit.now });
  await joinGroups(unit, id, user.groups);
  const added = await userRecordOf(unit.db, id);
  unit.record('user', id, 'create', { username, fullname, groups: added.groups, has_password: passwordHash !== null });
  return added;
}

/** A user as the API shows it: never the password hash. */
export async function presentUser(app: App, id: number) {
  return userRecordOf(app.store.db, id);
}

async function userRecordOf(db: Executor, id: number) {
  const user = await userById(db, id);
  if (!user) throw notFound('user', id);
  const groups = (await groupsOfUsers(db, [id])).get(id) ?? [];
  return userRecord(user, groups);
}

const userRecord = (
  u: {
    id: number;
    username: string;
    fullname: string;
    disabled: number;
    created: number;
    updated: number;
    last_login: number | null;
    password_hash: string | null;
  },
  groups: string[],
) => ({
  id: u.id,
  username: u.username,
  fullname: u.fullname,
  disabled: u.disabled === 1,
  has_password: u.password_hash !== null,
  groups,
  created: u.created,
  updated: u.updated,
  last_login: u.last_login,
});

export async function usersPage(app: App, page: { limit: number; offset: number }) {
  const { rows, total } = await listUsers(app.store.db, page);
  const groups = await groupsOfUsers(
    app.store.db,
    rows.map((r) => r.id),
  );
  return { records: rows.map((r) => userRecord(r, groups.get(r.id) ?? [])), total };
}

/**
 * Changes a user. Admins change anyone; others only their own name and password, proving the old
 * password. Refused when it would leave no enabled admin, so nobody locks everyone out.
 */
export async function updateUserAccount(app: App, who: Principal, id: number, patch: UserPatch) {
  if (!who.admin) {
    if (id !== who.userId) throw forbidden('only admins change other users');
    if (patch.groups !== undefined || patch.disabled !== undefined) throw forbidden('only admins change groups or disable users');
    if (patch.password !== undefined) {
      const me = await userById(app.store.db, id);
      if (!(await verifyPassword(patch.old_password ?? '', me?.password_hash ?? null))) {
        throw new AppError(403, 'old_password is wrong', 'old_password');
      }
    }
  }
  if (patch.password !== undefined) checkPassword(patch.password);
  checkGroupNames('groups', patch.groups ?? []);
  const hash = patch.password === undefined ? undefined : await hashPassword(patch.password);
  return inTransaction(app, who, async (unit) => {
    const before = await userRecordOf(unit.db, id);
    const wasAdmin = !before.disabled && before.groups.includes(app.config.adminGroup);
    await changeUser(unit, before, {
      fullname: patch.fullname,
      disabled: patch.disabled,
      passwordHash: hash,
      groups: patch.groups,
    });
    if (wasAdmin) {
      await lockAdmins(unit);
      if ((await countEnabledMembers(unit.db, app.config.adminGroup)) === 0) {
        const field = patch.disabled ? 'disabled' : 'groups';
        throw conflict(`${before.username} is the last enabled admin; make another user an admin first`, field);
      }
    }
    return userRecordOf(unit.db, id);
  });
}

/**
 * Writes what differs and records it; the history says a password changed, never what to. A new
 * password or disabling ends the user's sessions, so a stolen session dies with the old password.
 */
async function changeUser(
  unit: Unit,
  before: Awaited<ReturnType<typeof userRecordOf>>,
  to: { fullname?: string; disabled?: boolean; passwordHash?: string; groups?: string[] },
) {
  const diff: Record<string, unknown> = {};
  const values: Parameters<typeof updateUser>[2] = {};
  if (to.fullname !== undefined && to.fullname !== before.fullname) {
    values.fullname = to.fullname;
    diff.fullname = [before.fullname, to.fullname];
  }
  if (to.disabled !== undefined && to.disabled !== before.disabled) {
    values.disabled = to.disabled ? 1 : 0;
    diff.disabled = [before.disabled, to.disabled];
  }
  if (to.passwordHash !== undefined) {
    values.password_hash = to.passwordHash;
    diff.password = 'changed';
  }
  const groups = to.groups && dedupe(to.groups).sort();
  if (groups && groups.join('\n') !== before.groups.join('\n')) {
    await joinGroups(unit, before.id, groups);
    diff.groups = [before.groups, groups];
  }
  if (Object.keys(diff).length === 0) return;
  await updateUser(unit.db, before.id, { ...values, updated: unit.now });
  if (to.disabled || to.passwordHash !== undefined) await deleteSessionsOf(unit.db, before.id);
  unit.record('user', before.id, 'update', diff);
  unit.afterCommit(() => forgetCredentials(before.id));
}

export async function userIdByName(app: App, username: string): Promise<number> {
  const user = await userByName(app.store.db, username);
  if (!user) throw badInput('username', `no user named ${username}`);
  return user.id;
}

/**
 * Makes the `admin` user an enabled member of the admin group with `password`, creating it if
 * needed: the way back in when no admin can sign in. Returns whether the user was created.
 */
export async function resetAdmin(app: App, who: Principal, password: string): Promise<{ created: boolean }> {
  adminOnly(who, 'reset the admin');
  checkPassword(password);
  const passwordHash = await hashPassword(password);
  return inTransaction(app, who, async (unit) => {
    await lockAdmins(unit);
    return makeAdmin(unit, passwordHash);
  });
}

/**
 * Called by `serve`: when no enabled user is in the admin group (a new install, or users created
 * before the first start), makes `admin` one, with the configured password or a generated one,
 * which is returned to be printed once.
 */
export async function ensureAdmin(app: App): Promise<{ admin?: 'created' | 'restored'; password?: string }> {
  if ((await countEnabledMembers(app.store.db, app.config.adminGroup)) > 0) return {};
  const password = app.config.adminPassword ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const made = await inTransaction(app, SERVE, async (unit) => {
    // Checked again under the lock: of several nodes starting at once, one makes the admin.
    await lockAdmins(unit);
    if ((await countEnabledMembers(unit.db, app.config.adminGroup)) > 0) return undefined;
    return makeAdmin(unit, passwordHash);
  });
  if (!made) return {};
  return { admin: made.created ? 'created' : 'restored', password: app.config.adminPassword ? undefined : password };
}

/**
 * Changes to who is an enabled admin take turns, so that two admins disabling each other at once
 * on two nodes cannot both succeed, nor two nodes starting at once both make the admin.
 */
async function lockAdmins(unit: Unit) {
  const lock = unit.rules.transactionLock('user:admins');
  if (lock) await lock.execute(unit.db);
}

async function makeAdmin(unit: Unit, passwordHash: string): Promise<{ created: boolean }> {
  const { adminGroup, defaultGroups } = unit.app.config;
  const existing = await userByName(unit.db, ADMIN_USERNAME);
  if (!existing) {
    const groups = [adminGroup, ...defaultGroups.modify];
    await addUser(unit, { username: ADMIN_USERNAME, fullname: 'Administrator', passwordHash, groups });
    return { created: true };
  }
  const before = await userRecordOf(unit.db, existing.id);
  await changeUser(unit, before, { disabled: false, passwordHash, groups: [...before.groups, adminGroup] });
  return { created: false };
}

export async function groupsPage(app: App, page: { limit: number; offset: number }) {
  const { rows, total } = await listGroups(app.store.db, page);
  return { records: rows, total };
}

/** A group with its members' names. */
export async function presentGroup(app: App, id: number) {
  return groupRecordOf(app.store.db, id);
}

async function groupRecordOf(db: Executor, id: number) {
  const group = await groupById(db, id);
  if (!group) throw notFound('group', id);
  return { ...group, members: await groupMembers(db, id) };
}

/** Creates an empty group (admins only). */
export async function createGroup(app: App, who: Principal, input: GroupInput) {
  adminOnly(who, 'create groups');
  checkGroupNames('name', [input.name]);
  return inTransaction(app, who, async (unit) => {
    if (await groupByName(unit.db, input.name)) throw conflict(`group ${input.name} already exists`, 'name');
    const { ids } = await ensureGroups(unit.db, [input.name], unit.now);
    const id = ids.get(input.name)!;
    const description = input.description ?? '';
    if (description) await updateGroup(unit.db, id, { description });
    unit.record('group', id, 'create', { name: input.name, description });
    return groupRecordOf(unit.db, id);
  });
}

/** Describes a group (admins only). */
export async function changeGroup(app: App, who: Principal, id: number, patch: GroupPatch) {
  adminOnly(who, 'change groups');
  return inTransaction(app, who, async (unit) => {
    const before = await groupRecordOf(unit.db, id);
    if (patch.description !== undefined && patch.description !== before.description) {
      await updateGroup(unit.db, id, { description: patch.description });
      unit.record('group', id, 'update', { description: [before.description, patch.description] });
    }
    return groupRecordOf(unit.db, id);
  });
}

/** Deletes a group and its memberships (admins only); the admin group stays. */
export async function removeGroup(app: App, who: Principal, id: number) {
  adminOnly(who, 'delete groups');
  await inTransaction(app, who, async (unit) => {
    const group = await groupRecordOf(unit.db, id);
    if (group.name === app.config.adminGroup) throw conflict(`the admin group ${group.name} cannot be deleted`);
    await deleteGroup(unit.db, id);
    unit.record('group', id, 'delete', { name: group.name, members: group.members });
    unit.afterCommit(() => forgetCredentials());
  });
}
