import { AppError, badInput, conflict, forbidden, notFound } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import {
  apikeyByHash,
  apikeyById,
  deleteExpiredSessions,
  deleteSession,
  insertApikey,
  insertSession,
  listApikeys,
  sessionByHash,
  touchSession,
  updateApikey,
} from '../store/credential.js';
import { groupsOfUsers, userById, userByName, updateUser } from '../store/user.js';
import type { App } from './context.js';
import { newToken, tokenHash, verifyPassword } from './secret.js';
import { inTransaction } from './unit.js';

/**
 * Who a credential belongs to, remembered briefly so that a detection system posting thousands of
 * alertgroups a second costs one lookup, not thousands. Revoking or disabling in this process
 * forgets at once; another process (the CLI, another API node) is heard within CACHE_SECONDS.
 */
const CACHE_SECONDS = 10;
const principals = new Map<string, { principal: Principal; until: number; userId: number }>();

/** Forgets remembered credentials of one user, or of everyone, so a change to them counts at once. */
export function forgetCredentials(userId?: number) {
  for (const [key, entry] of principals) if (userId === undefined || entry.userId === userId) principals.delete(key);
}

/** The caller an enabled user is, with their groups; undefined for a disabled or unknown user. */
export async function principalOf(app: App, userId: number): Promise<Principal | undefined> {
  const user = await userById(app.store.db, userId);
  if (!user || user.disabled) return undefined;
  const groups = (await groupsOfUsers(app.store.db, [userId])).get(userId) ?? [];
  return { userId, username: user.username, groups, admin: groups.includes(app.config.adminGroup) };
}

async function cached(app: App, key: string, via: Principal['via'], resolve: () => Promise<{ userId: number } | undefined>) {
  const now = app.now();
  const hit = principals.get(key);
  if (hit && hit.until > now) return hit.principal;
  const found = await resolve();
  const user = found && (await principalOf(app, found.userId));
  if (!user) {
    principals.delete(key);
    return undefined;
  }
  const principal = { ...user, via };
  if (principals.size > 10_000) principals.clear();
  principals.set(key, { principal, until: now + CACHE_SECONDS, userId: principal.userId });
  return principal;
}

/** The user behind an `Authorization: Bearer` API key, if the key is valid and not revoked. */
export async function principalFromApikey(app: App, key: string): Promise<Principal | undefined> {
  const hash = tokenHash(key);
  return cached(app, `k:${hash}`, 'apikey', async () => {
    const row = await apikeyByHash(app.store.db, hash);
    if (!row || row.revoked_at !== null) return undefined;
    const now = app.now();
    if (row.last_used === null || now - row.last_used > 60) await updateApikey(app.store.db, row.id, { last_used: now });
    return { userId: row.user_id };
  });
}

/**
 * The user behind HTTP Basic credentials, whose secret is their password or one of their API keys
 * (SCOT 3's clients send either). Disabled users and wrong secrets get nothing.
 */
export async function principalFromBasic(app: App, username: string, secret: string): Promise<Principal | undefined> {
  const byKey = await principalFromApikey(app, secret);
  if (byKey) return byKey.username === username ? byKey : undefined;
  return cached(app, `b:${tokenHash(`${username}\0${secret}`)}`, 'session', async () => {
    const user = await userByName(app.store.db, username);
    return user && (await verifyPassword(secret, user.password_hash)) ? { userId: user.id } : undefined;
  });
}

/** The user behind a session cookie; sessions slide forward while used. */
export async function principalFromSession(app: App, token: string): Promise<Principal | undefined> {
  const hash = tokenHash(token);
  return cached(app, `s:${hash}`, 'session', async () => {
    const row = await sessionByHash(app.store.db, hash);
    const now = app.now();
    if (!row || row.expires < now) return undefined;
    if (now - row.last_seen > 300) {
      await touchSession(app.store.db, hash, { last_seen: now, expires: now + app.config.sessionHours * 3600 });
    }
    return { userId: row.user_id };
  });
}

/** Checks a password and opens a session. Returns the cookie token. */
export async function login(
  app: App,
  username: string,
  password: string,
): Promise<{ token: string; principal: Principal; expires: number }> {
  const user = await userByName(app.store.db, username);
  const ok = await verifyPassword(password, user?.password_hash ?? null);
  if (!user || !ok || user.disabled) throw new AppError(401, 'wrong username or password');
  const principal: Principal = { ...(await principalOf(app, user.id))!, via: 'session' };
  const token = newToken();
  const now = app.now();
  const expires = now + app.config.sessionHours * 3600;
  await insertSession(app.store.db, { token_hash: tokenHash(token), user_id: user.id, created: now, expires });
  await updateUser(app.store.db, user.id, { last_login: now });
  await deleteExpiredSessions(app.store.db, now);
  return { token, principal, expires };
}

/** Ends one session. */
export async function logout(app: App, token: string): Promise<void> {
  const hash = tokenHash(token);
  principals.delete(`s:${hash}`);
  await deleteSession(app.store.db, hash);
}

/**
 * A new API key for `username`; the key itself is shown once and stored only as a hash. An API key
 * may not mint keys (except an admin's): a leaked key would otherwise outlive its revocation.
 */
export async function createApikey(app: App, who: Principal, username: string, name: string) {
  if (who.via === 'apikey' && !who.admin)
    throw forbidden('an API key cannot create API keys; sign in (POST /login) to create one');
  const key = newToken('scot_');
  const prefix = key.slice(0, 12);
  return inTransaction(app, who, async (unit) => {
    const user = await userByName(unit.db, username);
    if (!user) throw badInput('user', `no user named ${username}`);
    if (user.id !== who.userId && !who.admin) throw forbidden('only admins create API keys for other users');
    const id = await insertApikey(unit.db, { user_id: user.id, name, key_hash: tokenHash(key), prefix, created: unit.now });
    unit.record('apikey', id, 'create', { user: user.username, name });
    return { id, key, name, username: user.username, prefix };
  });
}

/** Revokes a key at once in this process; the caller must own it or be an admin. */
export async function revokeApikey(app: App, who: Principal, id: number) {
  await inTransaction(app, who, async (unit) => {
    const row = await apikeyById(unit.db, id);
    if (!row || (row.user_id !== who.userId && !who.admin)) throw notFound('apikey', id);
    if (row.revoked_at !== null) throw conflict(`apikey ${id} is already revoked`);
    await updateApikey(unit.db, id, { revoked_at: unit.now });
    unit.record('apikey', id, 'revoke', { revoked_at: [null, unit.now] });
    unit.afterCommit(() => forgetCredentials(row.user_id));
  });
}

/** The caller's own keys, or every key for an admin; never the keys themselves. */
export async function apikeysOf(app: App, who: Principal) {
  return listApikeys(app.store.db, who.admin ? null : who.userId);
}
