import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { backends } from '../helpers/backend.js';
import {
  expectError,
  expectStatus,
  expectWritten,
  idsOf,
  postAlertgroup,
  postEntry,
  postEvent,
  routesOf,
  serverFor,
  storedForm,
} from '../helpers/e2e.js';
import { Client } from '../helpers/server.js';

/** The objects of one group setting: an alertgroup, its alerts, an event, an incident, entries. */
interface Objects {
  alertgroup: number;
  alert: number;
  event: number;
  incident: number;
  entry: number;
}

const RED = { read: ['red'], modify: ['red'] };
const SHARED = { read: ['a', 'b'], modify: ['a'] };

/** Builds one of each object under `groups`, as admin; the alerts and the event inherit them from the alertgroup. */
async function objectsIn(admin: Client, groups: { read: string[]; modify: string[] }): Promise<Objects> {
  const group = await postAlertgroup(admin, { groups });
  const event = expectWritten(await admin.post('/event', { promote_from: { alert: [group.alerts[0]] } }), 201);
  assert.deepEqual(event.groups, groups);
  const entry = await postEntry(admin, 'event', event.id);
  await postEntry(admin, 'event', event.id, { parent: entry.id });
  const incident = expectWritten(await admin.post('/incident', { subject: 'incident', groups }), 201);
  return { alertgroup: group.id, alert: group.alerts[1], event: event.id, incident: incident.id, entry: entry.id };
}

/** Sub-collection paths of an object of `type`. */
function subPaths(type: keyof Objects, id: number): string[] {
  const subs = ['history', 'tag', 'source', 'entry'];
  if (type === 'alertgroup' || type === 'event') subs.push('alert');
  if (type === 'incident') subs.push('event');
  return subs.map((sub) => `/${type}/${id}/${sub}`);
}

const TYPES = ['alertgroup', 'alert', 'event', 'incident', 'entry'] as const;

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    describe('objects of groups the user is not in', () => {
      let red: Objects;
      let alice: Client;
      let mallory: Client;
      before(async () => {
        red = await objectsIn(scot().admin, RED);
        alice = await scot().user('alice', ['red']);
        mallory = await scot().user('mallory', ['blue']);
      });

      it('are readable by a member of their groups', async () => {
        for (const type of TYPES) {
          expectStatus(await alice.get(`/${type}/${red[type]}`), 200);
          for (const path of subPaths(type, red[type])) expectStatus(await alice.get(path), 200);
        }
      });

      it('answer 404 as if absent to GET, PUT, DELETE, history and sub-collections', async () => {
        for (const type of TYPES) {
          const id = red[type];
          const absent = expectError(await mallory.get(`/${type}/999999`), 404);
          const hidden = expectError(await mallory.get(`/${type}/${id}`), 404);
          assert.equal(hidden.error, absent.error.replace('999999', String(id)), 'the answer does not tell hidden from absent');
          expectError(await mallory.put(`/${type}/${id}`, { tag: ['mine'] }), 404);
          expectError(await mallory.put(`/${type}/${id}`, { undelete: true }), 404);
          expectError(await mallory.del(`/${type}/${id}`), 404);
          for (const path of subPaths(type, id)) expectError(await mallory.get(path), 404);
        }
        expectError(await mallory.put(`/alert/${red.alert}`, { status: 'closed' }), 404);
        expectError(await mallory.put(`/entry/${red.entry}`, { class: 'task' }), 404);
      });

      it('are absent from their lists', async () => {
        for (const type of TYPES) {
          assert.ok(!idsOf(await mallory.get(`/${type}?limit=1000`)).includes(red[type]), `${type} ${red[type]} is listed`);
          const filtered = expectStatus(await mallory.get(`/${type}?id=${red[type]}`), 200);
          assert.deepEqual([filtered.records, filtered.totalRecordCount], [[], 0]);
          assert.ok(idsOf(await alice.get(`/${type}?limit=1000`)).includes(red[type]));
          // A cursor forged to start just before red's object leads mallory past it, and counts as her list does.
          const shape = expectStatus(await alice.get(`/${type}?sort=-id&limit=1`), 200).nextCursor;
          const { k } = JSON.parse(Buffer.from(shape, 'base64url').toString());
          const forged = Buffer.from(JSON.stringify({ k, v: [red[type] + 1] })).toString('base64url');
          const past = expectStatus(await mallory.get(`/${type}?sort=-id&after=${forged}&limit=1000`), 200);
          assert.ok(
            !past.records.some((r: { id: number }) => r.id === red[type]),
            `${type} ${red[type]} is listed after a cursor`,
          );
          const own = expectStatus(await mallory.get(`/${type}?sort=-id&limit=1000`), 200);
          assert.equal(past.totalRecordCount, own.totalRecordCount);
        }
      });

      it('cannot be written on, promoted from or promoted into', async () => {
        for (const type of ['alertgroup', 'alert', 'event', 'incident']) {
          expectError(await mallory.post('/entry', { target_type: type, target_id: red[type as keyof Objects], body: 'x' }), 404);
        }
        expectError(await mallory.post('/event', { promote_from: { alert: [red.alert] } }), 404);
        const own = await postAlertgroup(mallory, { groups: { read: ['blue'], modify: ['blue'] } });
        expectError(await mallory.put(`/alert/${own.alerts[0]}`, { promote: red.event }), 404);
        assert.equal(expectStatus(await mallory.get(`/alert/${own.alerts[0]}`), 200).status, 'open');
        expectError(await mallory.put(`/event/${red.event}`, { promote: 'new' }), 404);
      });

      it('are left unchanged by the refused calls', async () => {
        for (const type of TYPES) {
          const now = await storedForm(scot().admin, type, red[type]);
          assert.ok(!now.tag.includes('mine'), `${type} got a tag`);
          assert.equal(now.deleted, undefined);
        }
        assert.equal((await storedForm(scot().admin, 'alert', red.alert)).status, 'open');
        assert.equal((await storedForm(scot().admin, 'entry', red.entry)).class, 'entry');
      });

      it('are all visible to an admin', async () => {
        const blue = await postAlertgroup(mallory, { groups: { read: ['blue'], modify: ['blue'] } });
        expectStatus(await scot().admin.get(`/alertgroup/${blue.id}`), 200);
        const listed = idsOf(await scot().admin.get('/alertgroup?limit=1000'));
        assert.ok(listed.includes(blue.id) && listed.includes(red.alertgroup));
        for (const type of TYPES) expectStatus(await scot().admin.get(`/${type}/${red[type]}`), 200);
      });
    });

    describe('objects a user may read but not change', () => {
      let shared: Objects;
      let reader: Client;
      let writer: Client;
      before(async () => {
        shared = await objectsIn(scot().admin, SHARED);
        reader = await scot().user('reader', ['b']);
        writer = await scot().user('writer', ['a']);
      });

      it('answer 200 to GET, lists and sub-collections', async () => {
        for (const type of TYPES) {
          assert.equal(expectStatus(await reader.get(`/${type}/${shared[type]}`), 200).id, shared[type]);
          assert.ok(idsOf(await reader.get(`/${type}?limit=1000`)).includes(shared[type]));
          for (const path of subPaths(type, shared[type])) expectStatus(await reader.get(path), 200);
        }
      });

      it('answer 403 to PUT, DELETE, adding an entry, promoting and taking a task', async () => {
        const before = await Promise.all(TYPES.map((type) => storedForm(scot().admin, type, shared[type])));
        for (const type of TYPES) {
          expectError(await reader.put(`/${type}/${shared[type]}`, { tag: ['reader-was-here'] }), 403);
          expectError(await reader.del(`/${type}/${shared[type]}`), 403);
        }
        for (const type of ['alertgroup', 'alert', 'event', 'incident'] as const) {
          expectError(await reader.post('/entry', { target_type: type, target_id: shared[type], body: 'x' }), 403);
        }
        expectError(await reader.put(`/alert/${shared.alert}`, { status: 'closed' }), 403);
        expectError(await reader.put(`/alert/${shared.alert}`, { promote: 'new' }), 403);
        expectError(await reader.put(`/event/${shared.event}`, { promote: 'new' }), 403);
        expectError(await reader.put(`/alertgroup/${shared.alertgroup}`, { status: 'closed' }), 403);
        expectWritten(await scot().admin.put(`/entry/${shared.entry}`, { class: 'task' }), 200);
        expectError(await reader.put(`/entry/${shared.entry}`, { task: 'take' }), 403);

        const after = await Promise.all(TYPES.map((type) => storedForm(scot().admin, type, shared[type])));
        TYPES.forEach((type, i) => {
          if (type === 'entry') return; // made a task by the admin above
          assert.deepEqual(after[i], before[i], `${type} changed`);
        });
        assert.equal(after[TYPES.indexOf('entry')].task.status, 'open');
      });

      it('are changed by a member of a modify group', async () => {
        const changed = expectWritten(await writer.put(`/event/${shared.event}`, { tag: ['triaged'] }), 200);
        assert.deepEqual(changed.tag, ['triaged']);
        await postEntry(writer, 'event', shared.event);
      });

      it("let an entry's creator edit it after losing the modify group", async () => {
        const author = await scot().user('author', ['a']);
        const entry = await postEntry(author, 'event', shared.event, { body: '<p>draft</p>' });
        const me = expectStatus(await author.get('/whoami'), 200);
        expectStatus(await scot().admin.put(`/user/${me.id}`, { groups: ['b'] }), 200);

        const edited = expectWritten(await author.put(`/entry/${entry.id}`, { body: '<p>final</p>' }), 200);
        assert.equal(edited.body, '<p>final</p>');
        expectError(await reader.put(`/entry/${entry.id}`, { body: '<p>not mine</p>' }), 403);
        expectError(await author.put(`/event/${shared.event}`, { subject: 'renamed' }), 403);
        expectError(await author.post('/entry', { target_type: 'event', target_id: shared.event, body: 'x' }), 403);
      });
    });

    describe('signing in', () => {
      it('refuses every route but health and login without credentials', async () => {
        const routes = routesOf(scot().server);
        assert.ok(routes.length > 40, `only ${routes.length} routes found`);
        assert.ok(routes.some(([m, p]) => m === 'PUT' && p === '/scot/api/v2/event/:id'));
        const open = ['/scot/api/v2/health', '/scot/api/v2/login'];
        for (const [method, path] of routes) {
          if (open.includes(path)) continue;
          const url = path.replace('/scot/api/v2', '').replace(/:\w+/g, '1');
          const reply = await scot().anonymous.request(method, url, method === 'POST' || method === 'PUT' ? {} : undefined);
          expectError(reply, 401);
          assert.match(reply.body.error, /sign in/, `${method} ${path}`);
        }
        assert.deepEqual(expectStatus(await scot().anonymous.get('/health'), 200), { status: 'ok' });
      });

      it('refuses an unknown, malformed or revoked API key', async () => {
        expectError(await new Client(scot().base, { key: 'scot_not-a-real-key' }).get('/whoami'), 401);
        const basic = await fetch(`${scot().base}/whoami`, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
        assert.equal(basic.status, 401);

        await scot().user('keyholder', ['ir'], 'keyholder-password');
        const owner = await scot().login('keyholder', 'keyholder-password');
        const created = expectStatus(await owner.post('/apikey', { name: 'script' }), 201);
        const key = new Client(scot().base, { key: created.key });
        assert.equal(expectStatus(await key.get('/whoami'), 200).username, 'keyholder');
        const listed = expectStatus(await owner.get('/apikey'), 200).records;
        assert.ok(listed.some((k: { id: number; prefix: string }) => k.id === created.id && created.key.startsWith(k.prefix)));
        assert.ok(
          listed.every((k: Record<string, unknown>) => !('key' in k) && !('key_hash' in k)),
          'keys are never listed',
        );
        expectStatus(await owner.del(`/apikey/${created.id}`), 200);
        expectError(await key.get('/whoami'), 401);
        expectError(await owner.del(`/apikey/${created.id}`), 409);
      });

      it('opens a cookie session on login, which logout ends', async () => {
        await scot().user('sam', ['ir'], 'sam-password-1');
        const reply = await scot().anonymous.post('/login', { username: 'sam', password: 'sam-password-1' });
        const body = expectStatus(reply, 200);
        assert.equal(body.username, 'sam');
        assert.deepEqual(body.groups, ['ir']);
        const [cookie] = reply.headers.getSetCookie();
        assert.match(cookie, /^scot_session=[^;]{20,};/);
        assert.match(cookie, /;\s*HttpOnly/i);
        assert.match(cookie, /;\s*SameSite=Strict/i);
        assert.match(cookie, /;\s*Path=\//);

        const session = new Client(scot().base, { cookie: cookie.split(';')[0] });
        const me = expectStatus(await session.get('/whoami'), 200);
        assert.deepEqual([me.username, me.groups, me.admin], ['sam', ['ir'], false]);
        assert.equal('password_hash' in me, false);
        await postEvent(session, { subject: 'written in a browser session' });

        expectStatus(await session.post('/logout', {}), 200);
        expectError(await session.get('/whoami'), 401);
      });

      it('refuses a wrong password and an unknown user alike', async () => {
        await scot().user('kim', ['ir'], 'kim-password-1');
        const wrong = expectError(await scot().anonymous.post('/login', { username: 'kim', password: 'not-the-password' }), 401);
        const unknown = expectError(
          await scot().anonymous.post('/login', { username: 'nobody', password: 'kim-password-1' }),
          401,
        );
        assert.equal(wrong.error, unknown.error);
        expectError(await scot().anonymous.post('/login', { username: 'kim', password: '' }), 401);
      });

      it('stops a disabled user, by key and by session, until enabled again', async () => {
        const key = await scot().user('dana', ['ir'], 'dana-password-1');
        const session = await scot().login('dana', 'dana-password-1');
        const me = expectStatus(await key.get('/whoami'), 200);
        expectStatus(await session.get('/whoami'), 200);

        assert.equal(expectStatus(await scot().admin.put(`/user/${me.id}`, { disabled: true }), 200).disabled, true);
        expectError(await key.get('/whoami'), 401);
        expectError(await session.get('/event'), 401);
        expectError(await scot().anonymous.post('/login', { username: 'dana', password: 'dana-password-1' }), 401);

        expectStatus(await scot().admin.put(`/user/${me.id}`, { disabled: false }), 200);
        expectStatus(await key.get('/whoami'), 200);
        expectStatus(await (await scot().login('dana', 'dana-password-1')).get('/whoami'), 200);
        expectError(await session.get('/whoami'), 401);
      });

      it('keeps users, groups and other accounts for admins', async () => {
        const plain = await scot().user('plain', ['ir']);
        const other = expectStatus(
          await scot().admin.post('/user', { username: 'other', password: 'other-password', groups: ['ir'] }),
          201,
        );
        expectStatus(await scot().admin.post('/group', { name: 'hunters', description: 'threat hunting' }), 201);

        expectError(await plain.post('/user', { username: 'sneaky', password: 'sneaky-password' }), 403);
        expectError(await plain.post('/group', { name: 'sneaky' }), 403);
        expectError(await plain.put(`/user/${other.id}`, { fullname: 'renamed' }), 403);
        expectError(await plain.put(`/user/${other.id}`, { disabled: true }), 403);
        expectError(await plain.post('/apikey', { user: 'other' }), 403);
        const groups = expectStatus(await scot().admin.get('/group'), 200).records;
        const hunters = groups.find((g: { name: string }) => g.name === 'hunters');
        expectError(await plain.del(`/group/${hunters.id}`), 403);

        const me = expectStatus(await plain.get('/whoami'), 200);
        expectError(await plain.put(`/user/${me.id}`, { groups: ['admin'] }), 403);
        expectError(await plain.put(`/user/${me.id}`, { disabled: false }), 403);
        assert.deepEqual(expectStatus(await plain.get('/whoami'), 200).groups, ['ir']);
        const names = expectStatus(await scot().admin.get('/user?limit=1000'), 200).records.map(
          (u: { username: string }) => u.username,
        );
        assert.ok(!names.includes('sneaky'));
        assert.equal(expectStatus(await scot().admin.get(`/user/${other.id}`), 200).disabled, false);
      });

      it('lets anyone create and describe tags and sources, but only admins rename or delete them', async () => {
        const tagger = await scot().user('tagger', ['ir']);
        for (const kind of ['tag', 'source']) {
          const label = expectStatus(await tagger.post(`/${kind}`, { name: `${kind}-one` }), 201);
          const described = expectStatus(await tagger.put(`/${kind}/${label.id}`, { description: 'seen in phishing' }), 200);
          assert.equal(described.description, 'seen in phishing');
          expectError(await tagger.put(`/${kind}/${label.id}`, { name: `${kind}-renamed` }), 403);
          expectError(await tagger.del(`/${kind}/${label.id}`), 403);
          assert.equal(expectStatus(await tagger.get(`/${kind}/${label.id}`), 200).name, `${kind}-one`);
          assert.equal(
            expectStatus(await scot().admin.put(`/${kind}/${label.id}`, { name: `${kind}-renamed` }), 200).name,
            `${kind}-renamed`,
          );
          expectStatus(await scot().admin.del(`/${kind}/${label.id}`), 200);
          expectError(await tagger.get(`/${kind}/${label.id}`), 404);
        }
      });

      it('lets users change their own password by giving the old one', async () => {
        const key = await scot().user('pat', ['ir'], 'pat-password-1');
        const session = await scot().login('pat', 'pat-password-1');
        const me = expectStatus(await key.get('/whoami'), 200);

        expectError(
          await key.put(`/user/${me.id}`, { password: 'pat-password-2', old_password: 'wrong-password' }),
          403,
          'old_password',
        );
        expectError(await key.put(`/user/${me.id}`, { password: 'pat-password-2' }), 403, 'old_password');
        expectError(await key.put(`/user/${me.id}`, { password: 'short', old_password: 'pat-password-1' }), 400, 'password');
        expectStatus(await session.get('/whoami'), 200);

        expectStatus(await key.put(`/user/${me.id}`, { password: 'pat-password-2', old_password: 'pat-password-1' }), 200);
        expectError(await scot().anonymous.post('/login', { username: 'pat', password: 'pat-password-1' }), 401);
        expectStatus(await (await scot().login('pat', 'pat-password-2')).get('/whoami'), 200);
        expectError(await session.get('/whoami'), 401);
        expectStatus(await key.get('/whoami'), 200);
      });
    });
  });
}
