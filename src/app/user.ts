import { badInput, conflict, notFound } from '../domain/error.js';
import { GROUP_PATTERN, MIN_PASSWORD_LENGTH, USERNAME_PATTERN, type GroupInput, type GroupPatch, type UserInput, type UserPatch } from '../domain/input/account.js';
import { deleteSessionsOf } from '../store/credential.js';
import {
  deleteGroup, ensureGroups, groupById, groupMembers, groupsOfUsers, insertUser, listGroups, listUsers, setUserGroups,
  updateGroup, updateUser, userById, userByName,
} from '../store/user.js';
import type { App } from './context.js';
import { forgetCredentials } from './auth.js';
import { hashPassword } from './secret.js';
import { dedupe } from './access.js';

export function checkPassword(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH) throw badInput('password', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
}

export async function createUser(app: App, input: UserInput) {
  if (!new RegExp(USERNAME_PATTERN).test(input.username)) {
    throw badInput('username', 'a username is 1-64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit');
  }
  for (const g of input.groups ?? []) if (!new RegExp(GROUP_PATTERN).test(g)) throw badInput('groups', `"${g}" is not a valid group name`);
  if (input.password !== undefined) checkPassword(input.password);
  if (await userByName(app.store.db, input.username)) throw conflict(`user ${input.username} already exists`, 'username');
  const now = app.now();
  const hash = input.password === undefined ? null : await hashPassword(input.password);
  const id = await app.store.db.transaction().execute(async (tx) => {
    const id = await insertUser(tx, { username: input.username, fullname: input.fullname ?? input.username, password_hash: hash, now });
    await setUserGroups(tx, id, dedupe(input.groups ?? []), now);
    return id;
  });
  return presentUser(app, id);
}

export async function presentUser(app: App, id: number) {
  const user = await userById(app.store.db, id);
  if (!user) throw notFound('user', id);
  const groups = (await groupsOfUsers(app.store.db, [id])).get(id) ?? [];
  return userRecord(user, groups);
}

const userRecord = (
  u: { id: number; username: string; fullname: string; disabled: number; created: number; updated: number; last_login: number | null; password_hash: string | null },
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
  const groups = await groupsOfUsers(app.store.db, rows.map((r) => r.id));
  return { records: rows.map((r) => userRecord(r, groups.get(r.id) ?? [])), total };
}

export async function updateUserAccount(
  app: App,
  id: number,
  patch: Omit<UserPatch, 'old_password'>,
) {
  const user = await userById(app.store.db, id);
  if (!user) throw notFound('user', id);
  const now = app.now();
  if (patch.password !== undefined) checkPassword(patch.password);
  for (const g of patch.groups ?? []) if (!new RegExp(GROUP_PATTERN).test(g)) throw badInput('groups', `"${g}" is not a valid group name`);
  const values: Parameters<typeof updateUser>[2] = { updated: now };
  if (patch.fullname !== undefined) values.fullname = patch.fullname;
  if (patch.disabled !== undefined) values.disabled = patch.disabled ? 1 : 0;
  if (patch.password !== undefined) values.password_hash = await hashPassword(patch.password);
  await app.store.db.transaction().execute(async (tx) => {
    await updateUser(tx, id, values);
    if (patch.groups) await setUserGroups(tx, id, dedupe(patch.groups), now);
    if (patch.disabled || patch.password !== undefined) await deleteSessionsOf(tx, id);
  });
  forgetCredentials(id);
  return presentUser(app, id);
}

export async function userIdByName(app: App, username: string): Promise<number> {
  const user = await userByName(app.store.db, username);
  if (!user) throw badInput('username', `no user named ${username}`);
  return user.id;
}

export async function groupsPage(app: App, page: { limit: number; offset: number }) {
  const { rows, total } = await listGroups(app.store.db, page);
  return { records: rows, total };
}

export async function presentGroup(app: App, id: number) {
  const group = await groupById(app.store.db, id);
  if (!group) throw notFound('group', id);
  return { ...group, members: await groupMembers(app.store.db, id) };
}

export async function createGroup(app: App, input: GroupInput) {
  if (!new RegExp(GROUP_PATTERN).test(input.name)) throw badInput('name', `"${input.name}" is not a valid group name`);
  const existing = await app.store.db.selectFrom('group').select('id').where('name', '=', input.name).executeTakeFirst();
  if (existing) throw conflict(`group ${input.name} already exists`, 'name');
  const ids = await ensureGroups(app.store.db, [input.name], app.now());
  const id = ids.get(input.name)!;
  if (input.description) await updateGroup(app.store.db, id, { description: input.description });
  return presentGroup(app, id);
}

export async function changeGroup(app: App, id: number, patch: GroupPatch) {
  await presentGroup(app, id);
  if (patch.description !== undefined) await updateGroup(app.store.db, id, { description: patch.description });
  return presentGroup(app, id);
}

export async function removeGroup(app: App, id: number) {
  const group = await presentGroup(app, id);
  if (group.name === app.config.adminGroup) throw conflict(`the admin group ${group.name} cannot be deleted`);
  await deleteGroup(app.store.db, id);
  forgetCredentials();
}
