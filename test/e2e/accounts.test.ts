import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { App } from '../../src/app/context.js';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, postAlertgroup, postEvent, serverFor } from '../helpers/e2e.js';
import { ADMIN_PASSWORD, Client } from '../helpers/server.js';

/** The change-log rows of `type`, oldest first, with their diffs parsed. */
async function changesOfType(app: App, type: string) {
  const rows = await app.store.db.selectFrom('change').selectAll().where('type', '=', type).orderBy('seq').execute();
  return rows.map((r) => ({ who: r.who, id: r.target_id, action: r.action, diff: JSON.parse(r.diff) }));
}

const BLUE = { read: ['blue'], modify: ['blue'] };
const GREEN = { read: ['green'], modify: ['green'] };

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    describe('groups of what is posted without any', () => {
      it('a poster in none of the default groups can read and change what it posted', async () => {
        const soc = await scot().user('soc-poster', ['soc']);
        const posted = await postAlertgroup(soc);
        const group = expectStatus(await soc.get(`/alertgroup/${posted.id}`), 200);
        assert.deepEqual(group.groups, { read: ['ir', 'soc'], modify: ['ir', 'soc'] });
        expectStatus(await soc.get(`/alert/${posted.alerts[0]}`), 200);
        const event = await postEvent(soc);
        assert.deepEqual(event.groups, { read: ['ir', 'soc'], modify: ['ir', 'soc'] });
        expectStatus(await soc.put(`/event/${event.id}`, { status: 'closed' }), 200);
      });

      it('a poster in a default group gets the default groups alone, and an admin too', async () => {
        const analyst = await scot().user('ir-and-hr', ['ir', 'hr']);
        assert.deepEqual((await postEvent(analyst)).groups, { read: ['ir'], modify: ['ir'] });
        assert.deepEqual((await postEvent(scot().admin)).groups, { read: ['ir'], modify: ['ir'] });
      });
    });

    describe('message_id dedup', () => {
      it('is scoped to what the poster can read, and never reveals an alertgroup the poster cannot read', async () => {
        const blue = await scot().user('blue-ids', ['blue']);
        const green = await scot().user('green-ids', ['green']);
        const message = { message_id: '<shared-id@detector>', subject: 'same mail, two teams' };
        const first = expectStatus(await blue.post('/alertgroup', { ...postBody(message), groups: BLUE }), 201);

        const other = expectStatus(await green.post('/alertgroup', { ...postBody(message), groups: GREEN }), 201);
        assert.notEqual(other.id, first.id, 'a poster who cannot read the first gets its own');
        assert.equal(other.duplicate, undefined);
        expectStatus(await green.get(`/alertgroup/${other.id}`), 200);
        expectError(await green.get(`/alertgroup/${first.id}`), 404);

        const again = expectStatus(await blue.post('/alertgroup', postBody(message)), 200);
        assert.deepEqual([again.id, again.alerts, again.duplicate], [first.id, first.alerts, true]);
        assert.equal(expectStatus(await green.post('/alertgroup', postBody(message)), 200).id, other.id);
        assert.equal(
          expectStatus(await scot().admin.post('/alertgroup', postBody(message)), 200).id,
          first.id,
          'an admin reads both; the oldest answers',
        );
        const stored = expectStatus(
          await scot().admin.get(`/alertgroup?message_id=${encodeURIComponent(message.message_id)}`),
          200,
        );
        assert.deepEqual(stored.records.map((r: { id: number }) => r.id).sort(), [first.id, other.id].sort());
      });
    });

    describe('tags and sources', () => {
      it('list and count only what the caller can read', async () => {
        const red = await scot().user('red-reader', ['red']);
        const amber = await scot().user('amber-reader', ['amber']);
        await postAlertgroup(scot().admin, {
          groups: { read: ['amber'], modify: ['amber'] },
          tag: ['amber-secret', 'both'],
          source: ['amber-feed'],
        });
        await postAlertgroup(scot().admin, { groups: { read: ['amber'], modify: ['amber'] }, tag: ['both'] });
        await postAlertgroup(scot().admin, { groups: { read: ['red'], modify: ['red'] }, tag: ['both'] });
        const unused = expectStatus(await red.post('/tag', { name: 'not-used-yet' }), 201);

        const seen = async (client: Client, kind: string) => {
          const labels: { name: string; count: number }[] = expectStatus(await client.get(`/${kind}?limit=1000`), 200).records;
          return Object.fromEntries(labels.map((l) => [l.name, l.count]));
        };
        const byRed = await seen(red, 'tag');
        assert.equal(byRed['amber-secret'], undefined, 'a tag used only where red cannot read is not listed');
        assert.equal(byRed.both, 1, 'only the readable use is counted');
        assert.equal(byRed['not-used-yet'], 0, 'an unused tag reveals nothing');
        assert.equal((await seen(red, 'source'))['amber-feed'], undefined);
        assert.deepEqual([(await seen(amber, 'tag'))['amber-secret'], (await seen(amber, 'tag')).both], [1, 2]);
        assert.deepEqual([(await seen(scot().admin, 'tag'))['amber-secret'], (await seen(scot().admin, 'tag')).both], [1, 3]);

        const secret = expectStatus(await scot().admin.get('/tag?name=amber-secret'), 200).records[0];
        expectError(await red.get(`/tag/${secret.id}`), 404);
        expectError(await red.put(`/tag/${secret.id}`, { description: 'guessing' }), 404);
        const byName = expectStatus(await red.get('/tag?name=amber-secret'), 200);
        assert.deepEqual([byName.records, byName.totalRecordCount], [[], 0]);
        assert.equal(expectStatus(await red.get(`/tag/${unused.id}`), 200).name, 'not-used-yet');
      });
    });

    describe('API keys', () => {
      it('are made with a session or by an admin, never by an API key of a user', async () => {
        const key = await scot().user('scripter', ['ir'], 'scripter-password');
        expectError(await key.post('/apikey', { name: 'copy of me' }), 403);
        const session = await scot().login('scripter', 'scripter-password');
        const made = expectStatus(await session.post('/apikey', { name: 'from a session' }), 201);
        assert.equal(made.username, 'scripter');
        assert.equal(
          expectStatus(await scot().admin.post('/apikey', { user: 'scripter', name: 'by admin' }), 201).username,
          'scripter',
        );
        const names = expectStatus(await session.get('/apikey'), 200).records.map((k: { name: string }) => k.name);
        assert.deepEqual(names.sort(), ['by admin', 'from a session', 'test']);
      });
    });

    describe('the last enabled admin', () => {
      it('cannot disable themselves or leave the admin group, until another admin exists', async () => {
        const me = expectStatus(await scot().admin.get('/whoami'), 200);
        expectError(await scot().admin.put(`/user/${me.id}`, { disabled: true }), 409, 'disabled');
        expectError(await scot().admin.put(`/user/${me.id}`, { groups: ['ir'] }), 409, 'groups');
        const still = expectStatus(await scot().admin.get(`/user/${me.id}`), 200);
        assert.deepEqual([still.disabled, still.groups], [false, ['admin', 'ir']]);

        const deputy = expectStatus(
          await scot().admin.post('/user', { username: 'deputy', password: 'deputy-password', groups: ['admin'] }),
          201,
        );
        expectStatus(await scot().admin.put(`/user/${me.id}`, { groups: ['ir'] }), 200);
        const asDeputy = await scot().login('deputy', 'deputy-password');
        expectError(await asDeputy.put(`/user/${deputy.id}`, { disabled: true }), 409, 'disabled');
        expectStatus(await asDeputy.put(`/user/${me.id}`, { groups: ['admin', 'ir'] }), 200);
        expectStatus(await scot().admin.put(`/user/${deputy.id}`, { disabled: true }), 200);
      });
    });

    describe('the change log', () => {
      it('records users, groups, tags, sources and API keys without passwords, hashes or keys', async () => {
        const user = expectStatus(
          await scot().admin.post('/user', { username: 'logged', password: 'logged-password-1', groups: ['new-team'] }),
          201,
        );
        expectStatus(await scot().admin.put(`/user/${user.id}`, { password: 'logged-password-2', fullname: 'Logged User' }), 200);
        const group = expectStatus(await scot().admin.post('/group', { name: 'logged-group', description: 'first' }), 201);
        expectStatus(await scot().admin.put(`/group/${group.id}`, { description: 'second' }), 200);
        expectStatus(await scot().admin.del(`/group/${group.id}`), 200);
        const tag = expectStatus(await scot().admin.post('/tag', { name: 'logged-tag' }), 201);
        expectStatus(await scot().admin.put(`/tag/${tag.id}`, { name: 'logged-tag-2' }), 200);
        expectStatus(await scot().admin.del(`/tag/${tag.id}`), 200);
        const source = expectStatus(await scot().admin.post('/source', { name: 'logged-source', description: 'a feed' }), 201);
        const key = expectStatus(await scot().admin.post('/apikey', { user: 'logged', name: 'logged-key' }), 201);
        expectStatus(await scot().admin.del(`/apikey/${key.id}`), 200);

        await postAlertgroup(scot().admin, { tag: ['named-on-post'], source: ['new-feed'] });

        const { app } = scot();
        const named = (await changesOfType(app, 'tag')).filter((c) => c.diff.name === 'named-on-post');
        assert.deepEqual(
          named.map((c) => [c.who, c.action]),
          [['admin', 'create']],
          'a tag made by naming it on an object is recorded once',
        );
        assert.equal(
          (await changesOfType(app, 'source')).filter((c) => c.diff.name === 'new-feed' && c.action === 'create').length,
          1,
        );
        const newTeam = (await changesOfType(app, 'group')).find((c) => c.diff.name === 'new-team')!;
        assert.deepEqual([newTeam.who, newTeam.action], ['admin', 'create'], 'a group made by naming it is recorded');
        assert.deepEqual(
          (await changesOfType(app, 'user')).filter((c) => c.id === user.id),
          [
            {
              who: 'admin',
              id: user.id,
              action: 'create',
              diff: { username: 'logged', fullname: 'logged', groups: ['new-team'], has_password: true },
            },
            { who: 'admin', id: user.id, action: 'update', diff: { fullname: ['logged', 'Logged User'], password: 'changed' } },
          ],
        );
        assert.deepEqual(
          (await changesOfType(app, 'group')).filter((c) => c.id === group.id).map((c) => [c.action, c.diff]),
          [
            ['create', { name: 'logged-group', description: 'first' }],
            ['update', { description: ['first', 'second'] }],
            ['delete', { name: 'logged-group', members: [] }],
          ],
        );
        assert.deepEqual(
          (await changesOfType(app, 'tag')).filter((c) => c.id === tag.id).map((c) => [c.action, c.diff]),
          [
            ['create', { name: 'logged-tag', description: '' }],
            ['update', { name: ['logged-tag', 'logged-tag-2'] }],
            ['delete', { name: 'logged-tag-2', count: 0 }],
          ],
        );
        assert.deepEqual(
          (await changesOfType(app, 'source')).filter((c) => c.id === source.id).map((c) => [c.action, c.diff]),
          [['create', { name: 'logged-source', description: 'a feed' }]],
        );
        const keyChanges = (await changesOfType(app, 'apikey')).filter((c) => c.id === key.id);
        assert.deepEqual(
          keyChanges.map((c) => c.action),
          ['create', 'revoke'],
        );
        assert.deepEqual(keyChanges[0].diff, { user: 'logged', name: 'logged-key' });

        const everything = JSON.stringify(await app.store.db.selectFrom('change').select('diff').execute());
        for (const secret of [
          'logged-password-1',
          'logged-password-2',
          'scrypt$',
          key.key,
          key.key.slice(5, 20),
          ADMIN_PASSWORD,
        ]) {
          assert.ok(!everything.includes(secret), `the change log holds a secret: ${secret.slice(0, 8)}…`);
        }
      });
    });

    describe('a stale API key', () => {
      it('does not stop health or sign-in, and is refused anywhere else', async () => {
        const stale = new Client(scot().base, { key: 'scot_revoked-or-never-valid' });
        assert.deepEqual(expectStatus(await stale.get('/health'), 200), { status: 'ok' });
        assert.equal(
          expectStatus(await stale.post('/login', { username: 'admin', password: ADMIN_PASSWORD }), 200).username,
          'admin',
        );
        expectError(await stale.get('/whoami'), 401);
      });
    });
  });
}

/** A small alertgroup with the given message_id and subject. */
function postBody(fields: { message_id: string; subject: string }) {
  return { ...fields, data: [{ host: 'a' }, { host: 'b' }] };
}
