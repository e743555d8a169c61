import { AppError, badInput, conflict, forbidden, notFound } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import {
  apikeyByHash, apikeyById, deleteExpiredSessions, deleteSession, deleteSessionsOf, insertApikey, insertSession,
  listApikeys, sessionByHash, touchSession, updateApikey,
} from '../store/credential.js';
import { groupsOfUsers, userById, userByName, updateUser } from '../store/user.js';
import type { App } from './context.js';
import { generatePassword, hashPassword, newToken, tokenHash, verifyPassword } from './secret.js';
import { checkPassword, createUser } from './user.js';

/**
 * Who a credential belongs to, remembered briefly so that a detection system posting thousands of
 * alertgroups a second costs one lookup, not thousands. Revoking or disabling in this process
 * forgets at once; another process (the CLI, another API node) is heard within CACHE_SECONDS.
 */
const CACHE_SECONDS = 10;
const principals = new Map<string, { principal: Principal; until: number; userId: number }>();

export function forgetCredentials(userId?: number) {
  for (const [key, entry] of principals) if (userId === undefined || entry.userId === userId) principals.delete(key);
}

export async function principalOf(app: App, userId: number): Promise<Principal | undefined> {
  const user = await userById(app.store.db, userId);
  if (!user || user.disabled) return undefined;
  const groups = (await groupsOfUsers(app.store.db, [userId])).get(userId) ?? [];
  return { userId, username: user.username, groups, admin: groups.includes(app.config.adminGroup) };
}

async function cached(app: App, key: string, resolve: () => Promise<{ userId: number } | undefined>) {
  const now = app.now();
  const hit = principals.get(key);
  if (hit && hit.until > now) return hit.principal;
  const found = await resolve();
  const principal = found && (await principalOf(app, found.userId));
  if (!principal) {
    principals.delete(key);
    return undefined;
  }
  if (principals.size > 10_000) principals.clear();
  principals.set(key, { principal, until: now + CACHE_SECONDS, userId: principal.userId });
  return principal;
}

/** The user behind an `Authorization: Bearer` API key, if the key is valid and not revoked. */
export async function principalFromApikey(app: App, key: string): Promise<Principal | undefined> {
  const hash = tokenHash(key);
  return cached(app, `k:${hash}`, async () => {
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
  return cached(app, `b:${tokenHash(`${username}\0${secret}`)}`, async () => {
    const user = await userByName(app.store.db, username);
    return user && (await verifyPassword(secret, user.password_hash)) ? { userId: user.id } : undefined;
  });
}

/** The user behind a session cookie; sessions slide forward while used. */
export async function principalFromSession(app: App, token: string): Promise<Principal | undefined> {
  const hash = tokenHash(token);
  return cached(app, `s:${hash}`, async () => {
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
export async function login(app: App, username: string, password: string): Promise<{ token: string; principal: Principal; expires: number }> {
  const user = await userByName(app.store.db, username);
  const ok = await verifyPassword(password, user?.password_hash ?? null);
  if (!user || !ok || user.disabled) throw new AppError(401, 'wrong username or password');
  const principal = (await principalOf(app, user.id))!;
  const token = newToken();
  const now = app.now();
  const expires = now + app.config.sessionHours * 3600;
  await insertSession(app.store.db, { token_hash: tokenHash(token), user_id: user.id, created: now, expires });
  await updateUser(app.store.db, user.id, { last_login: now });
  await deleteExpiredSessions(app.store.db, now);
  return { token, principal, expires };
}

export async function logout(app: App, token: string): Promise<void> {
  const hash = tokenHash(token);
  principals.delete(`s:${hash}`);
  await deleteSession(app.store.db, hash);
}

/** A new API key for `username`; the key itself is shown once and stored only as a hash. */
export async function createApikey(app: App, who: Principal, username: string, name: string) {
  const user = await userByName(app.store.db, username);
  if (!user) throw badInput('user', `no user named ${username}`);
  if (user.id !== who.userId && !who.admin) throw forbidden('only admins create API keys for other users');
  const key = newToken('scot_');
  const id = await insertApikey(app.store.db, {
    user_id: user.id,
    name,
    key_hash: tokenHash(key),
    prefix: key.slice(0, 12),
    created: app.now(),
  });
  return { id, key, name, username: user.username, prefix: key.slice(0, 12) };
}

export async function revokeApikey(app: App, who: Principal, id: number) {
  const row = await apikeyById(app.store.db, id);
  if (!row || (row.user_id !== who.userId && !who.admin)) throw notFound('apikey', id);
  if (row.revoked_at !== null) throw conflict(`apikey ${id} is already revoked`);
  await updateApikey(app.store.db, id, { revoked_at: app.now() });
  forgetCredentials(row.user_id);
}

export async function apikeysOf(app: App, who: Principal) {
  return listApikeys(app.store.db, who.admin ? null : who.userId);
}

/** Sets a password; ends the user's sessions so a stolen session dies with the old password. */
export async function setPassword(app: App, username: string, password: string) {
  const user = await userByName(app.store.db, username);
  if (!user) throw badInput('username', `no user named ${username}`);
  // The same rule as the API: `scot user passwd` with empty stdin must not leave an empty password.
  checkPassword(password);
  await updateUser(app.store.db, user.id, { password_hash: await hashPassword(password), updated: app.now() });
  await deleteSessionsOf(app.store.db, user.id);
  forgetCredentials(user.id);
}

/**
 * On first start there is no user: create `admin` in the admin group and the default groups,
 * with the configured password or a generated one, which is returned to be printed once.
 */
export async function ensureAdmin(app: App): Promise<{ created: boolean; password?: string }> {
  const any = await app.store.db.selectFrom('user').select('id').limit(1).executeTakeFirst();
  if (any) return { created: false };
  const password = app.config.adminPassword ?? generatePassword();
  const groups = [app.config.adminGroup, ...app.config.defaultGroups.modify];
  await createUser(app, { username: 'admin', fullname: 'Administrator', password, groups });
  return { created: true, password: app.config.adminPassword ? undefined : password };
}
