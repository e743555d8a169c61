import type { Executor } from './index.js';

/** API keys and browser sessions, both stored only as SHA-256 hashes of their secret. */

export async function insertApikey(
  db: Executor,
  key: { user_id: number; name: string; key_hash: string; prefix: string; created: number },
): Promise<number> {
  const row = await db.insertInto('apikey').values(key).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function apikeyByHash(db: Executor, keyHash: string) {
  return db.selectFrom('apikey').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function apikeyById(db: Executor, id: number) {
  return db.selectFrom('apikey').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listApikeys(db: Executor, userId: number | null) {
  let q = db
    .selectFrom('apikey as k')
    .innerJoin('user as u', 'u.id', 'k.user_id')
    .select(['k.id', 'k.name', 'k.prefix', 'k.created', 'k.last_used', 'k.revoked_at', 'u.username']);
  if (userId !== null) q = q.where('k.user_id', '=', userId);
  return q.orderBy('k.id').execute();
}

export async function updateApikey(db: Executor, id: number, values: { last_used?: number; revoked_at?: number }) {
  await db.updateTable('apikey').set(values).where('id', '=', id).execute();
}

export async function insertSession(db: Executor, s: { token_hash: string; user_id: number; created: number; expires: number }) {
  await db
    .insertInto('session')
    .values({ ...s, last_seen: s.created })
    .execute();
}

export async function sessionByHash(db: Executor, tokenHash: string) {
  return db.selectFrom('session').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function touchSession(db: Executor, tokenHash: string, values: { last_seen: number; expires: number }) {
  await db.updateTable('session').set(values).where('token_hash', '=', tokenHash).execute();
}

export async function deleteSession(db: Executor, tokenHash: string) {
  await db.deleteFrom('session').where('token_hash', '=', tokenHash).execute();
}

export async function deleteSessionsOf(db: Executor, userId: number) {
  await db.deleteFrom('session').where('user_id', '=', userId).execute();
}

export async function deleteExpiredSessions(db: Executor, now: number) {
  await db.deleteFrom('session').where('expires', '<', now).execute();
}
