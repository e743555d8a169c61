import type { Executor } from './index.js';

/** Users, groups and membership. */

export async function userByName(db: Executor, username: string) {
  return db.selectFrom('user').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function userById(db: Executor, id: number) {
  return db.selectFrom('user').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listUsers(db: Executor, page: { limit: number; offset: number }) {
  const rows = await db.selectFrom('user').selectAll().orderBy('username').limit(page.limit).offset(page.offset).execute();
  const total = Number(
    (
      await db
        .selectFrom('user')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  return { rows, total };
}

export async function insertUser(
  db: Executor,
  user: { username: string; fullname: string; password_hash: string | null; now: number },
): Promise<number> {
  const row = await db
    .insertInto('user')
    .values({
      username: user.username,
      fullname: user.fullname,
      password_hash: user.password_hash,
      disabled: 0,
      created: user.now,
      updated: user.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateUser(
  db: Executor,
  id: number,
  values: Partial<{ fullname: string; password_hash: string; disabled: number; updated: number; last_login: number }>,
) {
  await db.updateTable('user').set(values).where('id', '=', id).execute();
}

export async function groupsOfUsers(db: Executor, userIds: readonly number[]): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>();
  if (userIds.length === 0) return result;
  const rows = await db
    .selectFrom('user_group as ug')
    .innerJoin('group as g', 'g.id', 'ug.group_id')
    .select(['ug.user_id', 'g.name'])
    .where('ug.user_id', 'in', userIds)
    .orderBy('g.name')
    .execute();
  for (const r of rows) (result.get(r.user_id) ?? result.set(r.user_id, []).get(r.user_id)!).push(r.name);
  return result;
}

/** Ids of the named groups, creating those that do not exist yet; `created` lists those made now. */
export async function ensureGroups(
  db: Executor,
  names: readonly string[],
  now: number,
): Promise<{ ids: Map<string, number>; created: { id: number; name: string }[] }> {
  const ids = new Map<string, number>();
  if (names.length === 0) return { ids, created: [] };
  const created = await db
    .insertInto('group')
    .values(names.map((name) => ({ name, description: '', created: now })))
    .onConflict((oc) => oc.column('name').doNothing())
    .returning(['id', 'name'])
    .execute();
  for (const r of await db.selectFrom('group').select(['id', 'name']).where('name', 'in', names).execute()) {
    ids.set(r.name, r.id);
  }
  return { ids, created };
}

/** Makes `names` the user's exact set of groups; returns the groups it had to create. */
export async function setUserGroups(db: Executor, userId: number, names: readonly string[], now: number) {
  const { ids, created } = await ensureGroups(db, names, now);
  await db.deleteFrom('user_group').where('user_id', '=', userId).execute();
  if (ids.size > 0) {
    await db
      .insertInto('user_group')
      .values([...ids.values()].map((group_id) => ({ user_id: userId, group_id })))
      .execute();
  }
  return created;
}

export async function listGroups(db: Executor, page: { limit: number; offset: number }) {
  const rows = await db
    .selectFrom('group as g')
    .select((eb) => [
      'g.id',
      'g.name',
      'g.description',
      'g.created',
      eb
        .selectFrom('user_group as ug')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('ug.group_id', '=', 'g.id')
        .as('member_count'),
    ])
    .orderBy('g.name')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const total = Number(
    (
      await db
        .selectFrom('group')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  return { rows: rows.map((r) => ({ ...r, member_count: Number(r.member_count ?? 0) })), total };
}

export async function groupById(db: Executor, id: number) {
  return db.selectFrom('group').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function groupMembers(db: Executor, groupId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('user_group as ug')
    .innerJoin('user as u', 'u.id', 'ug.user_id')
    .select('u.username')
    .where('ug.group_id', '=', groupId)
    .orderBy('u.username')
    .execute();
  return rows.map((r) => r.username);
}

export async function updateGroup(db: Executor, id: number, values: { name?: string; description?: string }) {
  await db.updateTable('group').set(values).where('id', '=', id).execute();
}

export async function deleteGroup(db: Executor, id: number) {
  await db.deleteFrom('group').where('id', '=', id).execute();
}

/** How many enabled users are in the group; for the admin group, zero means nobody can administer SCOT. */
export async function countEnabledMembers(db: Executor, groupName: string): Promise<number> {
  const row = await db
    .selectFrom('user as u')
    .innerJoin('user_group as ug', 'ug.user_id', 'u.id')
    .innerJoin('group as g', 'g.id', 'ug.group_id')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('g.name', '=', groupName)
    .where('u.disabled', '=', 0)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function groupByName(db: Executor, name: string) {
  return db.selectFrom('group').selectAll().where('name', '=', name).executeTakeFirst();
}
