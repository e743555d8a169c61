import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  apikeysOf,
  createApikey,
  login,
  logout,
  principalFromApikey,
  principalFromSession,
  principalOf,
  revokeApikey,
} from '../../src/app/auth.js';
import type { App } from '../../src/app/context.js';
import { tokenHash } from '../../src/app/secret.js';
import {
  changeGroup,
  createGroup,
  createUser,
  ensureAdmin,
  groupsPage,
  presentGroup,
  presentUser,
  removeGroup,
  resetAdmin,
  updateUserAccount,
  usersPage,
} from '../../src/app/user.js';
import type { Principal } from '../../src/domain/principal.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, as, changesOf, countRows, openFixture, rejectsWith, T0, useFixture } from '../helpers/store.js';

const PASSWORD = 'correct horse battery';

/** A user with a password, and the principal the server would make of them. */
async function user(app: App, username: string, groups: string[] = ['ir']): Promise<Principal> {
  const created = await createUser(app, ADMIN, { username, password: PASSWORD, groups });
  return (await principalOf(app, created.id))!;
}

const sessionRows = (app: App, userId: number) =>
  app.store.db.selectFrom('session').selectAll().where('user_id', '=', userId).execute();

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend, { SCOT_SESSION_HOURS: '1' });

    describe('users and groups', () => {
      it('creates the first admin once, in the admin and default groups', async () => {
        const { app } = fixture();
        const first = await ensureAdmin(app);
        assert.equal(first.admin, 'created');
        assert.ok(first.password && first.password.length >= 16, 'a generated password is returned to print');
        assert.deepEqual(await ensureAdmin(app), {});
        const { token, principal } = await login(app, 'admin', first.password!);
        assert.ok(token);
        assert.equal(principal.admin, true);
        assert.deepEqual(principal.groups, ['admin', 'ir']);
      });

      it('creates users with sorted groups, and refuses duplicates and bad input', async () => {
        const { app } = fixture();
        const created = await createUser(app, ADMIN, {
          username: 'u.one@ir',
          fullname: 'User One',
          password: PASSWORD,
          groups: ['zeta', 'alpha', 'zeta'],
        });
        assert.equal(created.username, 'u.one@ir');
        assert.equal(created.fullname, 'User One');
        assert.deepEqual(created.groups, ['alpha', 'zeta']);
        assert.equal(created.has_password, true);
        assert.equal(created.disabled, false);
        assert.equal(created.created, T0);
        assert.equal(created.last_login, null);
        const stored = await app.store.db
          .selectFrom('user')
          .select('password_hash')
          .where('id', '=', created.id)
          .executeTakeFirstOrThrow();
        assert.match(stored.password_hash!, /^scrypt\$/);
        assert.ok(!stored.password_hash!.includes(PASSWORD));

        await rejectsWith(createUser(app, ADMIN, { username: 'u.one@ir' }), 409, 'username');
        await rejectsWith(createUser(app, ADMIN, { username: '-starts-with-dash' }), 400, 'username');
        await rejectsWith(createUser(app, ADMIN, { username: 'ok', groups: ['bad/group'] }), 400, 'groups');
        await rejectsWith(createUser(app, ADMIN, { username: 'ok', password: 'short' }), 400, 'password');

        const noPassword = await createUser(app, ADMIN, { username: 'sso-only' });
        assert.equal(noPassword.has_password, false);
        assert.deepEqual(noPassword.groups, []);
        await rejectsWith(login(app, 'sso-only', ''), 401);
        await rejectsWith(presentUser(app, 999_999), 404);
      });

      it('updates a user, replacing the whole set of groups', async () => {
        const { app, clock } = fixture();
        const u = await user(app, 'changer', ['ir', 'hr']);
        clock.now = T0 + 50;
        const updated = await updateUserAccount(app, ADMIN, u.userId, { fullname: 'Changed', groups: ['soc'] });
        clock.now = T0;
        assert.equal(updated.fullname, 'Changed');
        assert.deepEqual(updated.groups, ['soc']);
        assert.equal(updated.updated, T0 + 50);
        assert.deepEqual((await principalOf(app, u.userId))!.groups, ['soc']);
        await rejectsWith(updateUserAccount(app, ADMIN, 999_999, { fullname: 'x' }), 404);
        await rejectsWith(updateUserAccount(app, ADMIN, u.userId, { password: 'short' }), 400, 'password');
      });

      it('manages groups and their members', async () => {
        const { app } = fixture();
        const group = await createGroup(app, ADMIN, { name: 'forensics', description: 'disk and memory' });
        assert.deepEqual([group.name, group.description, group.members], ['forensics', 'disk and memory', []]);
        await rejectsWith(createGroup(app, ADMIN, { name: 'forensics' }), 409, 'name');
        await rejectsWith(createGroup(app, ADMIN, { name: '../etc' }), 400, 'name');
        const member = await user(app, 'fiona', ['forensics', 'ir']);
        await user(app, 'fred', ['forensics']);
        assert.deepEqual((await presentGroup(app, group.id)).members, ['fiona', 'fred']);
        const page = await groupsPage(app, { limit: 1000, offset: 0 });
        assert.equal(page.records.find((g) => g.name === 'forensics')!.member_count, 2);
        assert.equal(page.total, page.records.length);
        assert.equal((await changeGroup(app, ADMIN, group.id, { description: 'DFIR' })).description, 'DFIR');

        await removeGroup(app, ADMIN, group.id);
        await rejectsWith(presentGroup(app, group.id), 404);
        assert.deepEqual((await principalOf(app, member.userId))!.groups, ['ir'], 'membership goes with the group');
        await ensureAdmin(app);
        const adminGroup = await app.store.db
          .selectFrom('group')
          .select('id')
          .where('name', '=', 'admin')
          .executeTakeFirstOrThrow();
        await rejectsWith(removeGroup(app, ADMIN, adminGroup.id), 409);
      });

      it('lists users by name with their groups', async () => {
        const { app } = fixture();
        await user(app, 'zed', ['soc', 'ir']);
        const page = await usersPage(app, { limit: 1000, offset: 0 });
        const names = page.records.map((u) => u.username);
        assert.deepEqual(names, [...names].sort());
        assert.equal(page.total, await countRows(app, 'user'));
        assert.deepEqual(page.records.find((u) => u.username === 'zed')!.groups, ['ir', 'soc']);
        const second = await usersPage(app, { limit: 1, offset: 1 });
        assert.deepEqual(
          second.records.map((u) => u.username),
          [names[1]],
        );
      });
    });

    describe('the admin', () => {
      it('serve makes one when users exist but none is an enabled admin, and records it', async () => {
        const own = await openFixture(backend, { SCOT_ADMIN_PASSWORD: 'chosen-admin-password' });
        try {
          // As the README's "Sending alerts" did, a user made before the first start.
          const early = await createUser(own.app, ADMIN, { username: 'detectotron', groups: ['ir'] });
          // With no admin yet, changing another user must still work.
          await updateUserAccount(own.app, ADMIN, early.id, { fullname: 'Detectotron 3000', disabled: true });
          assert.deepEqual(await ensureAdmin(own.app), { admin: 'created', password: undefined });
          const { principal } = await login(own.app, 'admin', 'chosen-admin-password');
          assert.equal(principal.admin, true);
          assert.deepEqual(await ensureAdmin(own.app), {}, 'once there is one, serve leaves it alone');
          const [created] = await changesOf(own.app, 'user', principal.userId);
          assert.deepEqual(
            [created.who, created.action, created.diff],
            ['serve', 'create', { username: 'admin', fullname: 'Administrator', groups: ['admin', 'ir'], has_password: true }],
          );
        } finally {
          await own.close();
        }
      });

      it('reset enables the admin user, puts it back in the admin group and signs its sessions out', async () => {
        const own = await openFixture(backend);
        try {
          const { app } = own;
          await createUser(app, ADMIN, { username: 'admin', password: 'old-admin-password', groups: ['ir'] });
          const boss = await user(app, 'boss', ['admin']);
          const session = await login(app, 'admin', 'old-admin-password');
          await updateUserAccount(app, boss, session.principal.userId, { disabled: true });
          assert.deepEqual(await resetAdmin(app, ADMIN, 'new-admin-password'), { created: false });
          const again = await login(app, 'admin', 'new-admin-password');
          assert.deepEqual([again.principal.admin, again.principal.groups], [true, ['admin', 'ir']]);
          await rejectsWith(login(app, 'admin', 'old-admin-password'), 401);
          assert.equal(await principalFromSession(app, session.token), undefined);
          const [, , reset] = await changesOf(app, 'user', again.principal.userId);
          assert.deepEqual(reset.diff, { disabled: [true, false], password: 'changed', groups: [['ir'], ['admin', 'ir']] });
          await rejectsWith(resetAdmin(app, ADMIN, 'short'), 400, 'password');
          await rejectsWith(resetAdmin(app, as('plain'), 'long-enough-password'), 403);
        } finally {
          await own.close();
        }
      });

      it('no account change may leave no enabled admin', async () => {
        const own = await openFixture(backend);
        try {
          const { app } = own;
          const only = await user(app, 'only-admin', ['admin']);
          await rejectsWith(updateUserAccount(app, only, only.userId, { disabled: true }), 409, 'disabled');
          await rejectsWith(updateUserAccount(app, only, only.userId, { groups: ['ir'] }), 409, 'groups');
          assert.deepEqual((await principalOf(app, only.userId))!.groups, ['admin'], 'the refused change left nothing behind');
          await rejectsWith(createUser(app, as('plain'), { username: 'sneaky' }), 403);
        } finally {
          await own.close();
        }
      });
    });

    describe('API keys', () => {
      it('stores only a hash, finds the user by it and notes its use', async () => {
        const { app, clock } = fixture();
        const owner = await user(app, 'keyholder', ['ir', 'splunk']);
        clock.now = T0 + 5;
        const key = await createApikey(app, owner, 'keyholder', 'splunk forwarder');
        clock.now = T0;
        assert.match(key.key, /^scot_[A-Za-z0-9_-]{43}$/);
        assert.equal(key.prefix, key.key.slice(0, 12));
        const row = await app.store.db.selectFrom('apikey').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow();
        assert.equal(row.key_hash, tokenHash(key.key));
        assert.equal(row.created, T0 + 5);
        assert.ok(!Object.values(row).includes(key.key), 'the key itself is not stored');

        const who = await principalFromApikey(app, key.key);
        assert.deepEqual(who, {
          userId: owner.userId,
          username: 'keyholder',
          groups: ['ir', 'splunk'],
          admin: false,
          via: 'apikey',
        });
        const used = await app.store.db
          .selectFrom('apikey')
          .select('last_used')
          .where('id', '=', key.id)
          .executeTakeFirstOrThrow();
        assert.equal(used.last_used, T0);
        assert.equal(await principalFromApikey(app, `${key.key}x`), undefined);
        assert.equal(await principalFromApikey(app, 'scot_not-a-key'), undefined);
      });

      it('only admins make keys for others; each sees their own keys, admins all', async () => {
        const { app } = fixture();
        const ann = await user(app, 'ann');
        const ben = await user(app, 'ben');
        const admin = await user(app, 'keymaster', ['admin']);
        assert.equal(admin.admin, true, 'members of the admin group are admins');
        await rejectsWith(createApikey(app, ann, 'ben', 'sneaky'), 403);
        await rejectsWith(createApikey(app, admin, 'nobody-here', 'x'), 400, 'user');
        const forBen = await createApikey(app, admin, 'ben', 'made by admin');
        const annKey = await createApikey(app, ann, 'ann', 'mine');
        assert.equal((await principalFromApikey(app, forBen.key))!.username, 'ben');
        assert.deepEqual(
          (await apikeysOf(app, ann)).map((k) => k.id),
          [annKey.id],
        );
        assert.deepEqual(
          (await apikeysOf(app, ben)).map((k) => [k.id, k.username, k.name]),
          [[forBen.id, 'ben', 'made by admin']],
        );
        const all = (await apikeysOf(app, admin)).map((k) => k.id);
        assert.ok(all.includes(forBen.id) && all.includes(annKey.id));
      });

      it('a revoked key, or the key of a disabled user, stops working at once', async () => {
        const { app } = fixture();
        const carl = await user(app, 'carl');
        const dora = await user(app, 'dora');
        const key = await createApikey(app, carl, 'carl', 'to revoke');
        assert.equal((await principalFromApikey(app, key.key))!.username, 'carl', 'works, and is now cached');
        await rejectsWith(revokeApikey(app, dora, key.id), 404);
        await revokeApikey(app, carl, key.id);
        assert.equal(await principalFromApikey(app, key.key), undefined);
        const row = await app.store.db
          .selectFrom('apikey')
          .select('revoked_at')
          .where('id', '=', key.id)
          .executeTakeFirstOrThrow();
        assert.equal(row.revoked_at, T0);
        await rejectsWith(revokeApikey(app, carl, key.id), 409);

        const doraKey = await createApikey(app, dora, 'dora', 'to disable');
        assert.equal((await principalFromApikey(app, doraKey.key))!.username, 'dora');
        await updateUserAccount(app, ADMIN, dora.userId, { disabled: true });
        assert.equal(await principalFromApikey(app, doraKey.key), undefined);
        await updateUserAccount(app, ADMIN, dora.userId, { disabled: false });
        assert.equal((await principalFromApikey(app, doraKey.key))!.username, 'dora');
      });
    });

    describe('sessions', () => {
      it('login checks the password, stores the session by hash and notes the login', async () => {
        const { app, clock } = fixture();
        const sam = await user(app, 'sam', ['ir']);
        await rejectsWith(login(app, 'sam', 'wrong password'), 401);
        await rejectsWith(login(app, 'no-such-user', PASSWORD), 401);
        clock.now = T0 + 1000;
        const session = await login(app, 'sam', PASSWORD);
        assert.equal(session.expires, T0 + 1000 + 3600, 'SCOT_SESSION_HOURS=1');
        assert.deepEqual(session.principal, { ...sam, via: 'session' });
        const [row] = await sessionRows(app, sam.userId);
        assert.deepEqual(row, {
          token_hash: tokenHash(session.token),
          user_id: sam.userId,
          created: T0 + 1000,
          expires: T0 + 4600,
          last_seen: T0 + 1000,
        });
        assert.equal((await presentUser(app, sam.userId)).last_login, T0 + 1000);
        assert.deepEqual(await principalFromSession(app, session.token), { ...sam, via: 'session' });
        assert.equal(await principalFromSession(app, 'not-a-token'), undefined);
        clock.now = T0;
      });

      it('a session slides forward while used and ends when it expires', async () => {
        const { app, clock } = fixture();
        const tia = await user(app, 'tia');
        clock.now = T0 + 10_000;
        const { token, expires } = await login(app, 'tia', PASSWORD);
        clock.now = T0 + 10_400;
        assert.equal((await principalFromSession(app, token))!.username, 'tia');
        const [slid] = await sessionRows(app, tia.userId);
        assert.deepEqual([slid.last_seen, slid.expires], [T0 + 10_400, T0 + 10_400 + 3600]);
        assert.ok(slid.expires > expires);

        clock.now = slid.expires + 1;
        assert.equal(await principalFromSession(app, token), undefined, 'expired');
        // The next login (anyone's) clears expired sessions away.
        await user(app, 'uma');
        await login(app, 'uma', PASSWORD);
        assert.deepEqual(await sessionRows(app, tia.userId), []);
        clock.now = T0;
      });

      it('logout, a new password or disabling ends sessions', async () => {
        const { app } = fixture();
        const vic = await user(app, 'vic');
        const first = await login(app, 'vic', PASSWORD);
        const second = await login(app, 'vic', PASSWORD);
        assert.equal((await sessionRows(app, vic.userId)).length, 2);
        await logout(app, first.token);
        assert.equal(await principalFromSession(app, first.token), undefined);
        assert.equal((await principalFromSession(app, second.token))!.username, 'vic', 'other sessions stay');

        await updateUserAccount(app, ADMIN, vic.userId, { password: 'a whole new password' });
        assert.equal(await principalFromSession(app, second.token), undefined);
        assert.deepEqual(await sessionRows(app, vic.userId), []);
        await rejectsWith(login(app, 'vic', PASSWORD), 401);
        const third = await login(app, 'vic', 'a whole new password');

        await updateUserAccount(app, ADMIN, vic.userId, { disabled: true });
        assert.equal(await principalFromSession(app, third.token), undefined);
        assert.deepEqual(await sessionRows(app, vic.userId), []);
        await rejectsWith(login(app, 'vic', 'a whole new password'), 401);
      });
    });
  });
}
