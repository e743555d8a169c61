import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { flushViews } from '../../src/app/viewing.js';
import { backends } from '../helpers/backend.js';
import {
  expectError,
  expectStatus,
  expectWritten,
  historyOf,
  idsOf,
  postAlertgroup,
  postEntry,
  postEvent,
  serverFor,
  storedForm,
} from '../helpers/e2e.js';
import { ADMIN_PASSWORD } from '../helpers/server.js';

/** [what is wrong, body, the field the error must name] */
type Case = [string, unknown, string];

const rows = [{ host: 'a' }];

const ALERTGROUP_CASES: Case[] = [
  ['missing subject', { data: rows }, 'subject'],
  ['missing data', { subject: 's' }, 'data'],
  ['data neither a row nor a list of rows', { subject: 's', data: 'host=a' }, 'data'],
  ['data without rows', { subject: 's', data: [] }, 'data'],
  ['a data row not an object', { subject: 's', data: [{ host: 'a' }, 'host=b'] }, 'data.1'],
  ['a data row that is an array', { subject: 's', data: [['a', 'b']] }, 'data.0'],
  ['unknown top-level field', { subject: 's', data: rows, severity: 'high' }, 'severity'],
  ['subject not a string', { subject: 42, data: rows }, 'subject'],
  ['empty subject', { subject: '', data: rows }, 'subject'],
  ['tag neither a name nor a list', { subject: 's', data: rows, tag: 42 }, 'tag'],
  ['unknown group setting', { subject: 's', data: rows, groups: { write: ['ir'] } }, 'groups.write'],
];

const EVENT_CASES: Case[] = [
  ['missing subject', {}, 'subject'],
  ['bad status value', { subject: 's', status: 'done' }, 'status'],
  ['status promoted set by hand', { subject: 's', status: 'promoted' }, 'status'],
  ['promoted from events', { subject: 's', promote_from: { event: [1] } }, 'promote_from.event'],
  ['promoted from no alerts', { promote_from: { alert: [] } }, 'promote_from.alert'],
  ['promoted from a non-id', { promote_from: { alert: ['one'] } }, 'promote_from.alert.0'],
];

const EVENT_UPDATE_CASES: Case[] = [
  ['nothing to change', {}, '(body)'],
  ['bad status value', { status: 'done' }, 'status'],
  ['status promoted set by hand', { status: 'promoted' }, 'status'],
  ['bad promote value', { promote: 'old' }, 'promote'],
  ['promote to id 0', { promote: 0 }, 'promote'],
  ['promote to a fraction', { promote: 1.5 }, 'promote'],
  ['unknown field', { colour: 'red' }, 'colour'],
  ['empty owner', { owner: '' }, 'owner'],
  ['rev not a number', { rev: '1' }, 'rev'],
  ['undelete not a boolean', { undelete: 'yes' }, 'undelete'],
];

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    describe('bad input', () => {
      const scot = serverFor(backend);

      it('refuses bad alertgroups with 400 naming the field, storing nothing', async () => {
        for (const [what, body, field] of ALERTGROUP_CASES) {
          const error = expectError(await scot().admin.post('/alertgroup', body), 400, field);
          assert.match(error.error, new RegExp(field.replace(/[.()]/g, '\\$&')), what);
        }
        expectError(await scot().admin.post('/alert', { data: rows }), 400);
        assert.equal(expectStatus(await scot().admin.get('/alertgroup'), 200).totalRecordCount, 0);
        assert.equal(expectStatus(await scot().admin.get('/alert'), 200).totalRecordCount, 0);
      });

      it('refuses bad events and incidents with 400 naming the field, storing nothing', async () => {
        for (const [what, body, field] of EVENT_CASES) {
          assert.ok(expectError(await scot().admin.post('/event', body), 400, field), what);
        }
        expectError(await scot().admin.post('/incident', { subject: 's', occurred: 'yesterday' }), 400, 'occurred');
        expectError(
          await scot().admin.post('/incident', { subject: 's', promote_from: { alert: [1] } }),
          400,
          'promote_from.alert',
        );
        assert.equal(expectStatus(await scot().admin.get('/event'), 200).totalRecordCount, 0);
        assert.equal(expectStatus(await scot().admin.get('/incident'), 200).totalRecordCount, 0);
      });

      it('refuses bad updates and leaves the object as it was', async () => {
        const event = await postEvent(scot().admin, { subject: 'untouched', tag: ['keep'] });
        const before = await storedForm(scot().admin, 'event', event.id);
        for (const [what, body, field] of EVENT_UPDATE_CASES) {
          assert.ok(expectError(await scot().admin.put(`/event/${event.id}`, body), 400, field), what);
        }
        // Valid fields in the same request as a failing step are rolled back with it.
        expectError(await scot().admin.put(`/event/${event.id}`, { subject: 'changed', tag: ['other'], promote: 999999 }), 404);
        expectError(await scot().admin.put(`/event/${event.id}`, { subject: 'changed', rev: before.rev + 5 }), 409, 'rev');

        assert.deepEqual(await storedForm(scot().admin, 'event', event.id), before);
        assert.deepEqual(
          (await historyOf(scot().admin, 'event', event.id)).map((c) => c.action),
          ['create'],
        );
      });

      it('refuses what an object type does not allow', async () => {
        const { id, alerts } = await postAlertgroup(scot().admin);
        const incident = expectWritten(await scot().admin.post('/incident', { subject: 'i' }), 201);
        const event = await postEvent(scot().admin);
        const entry = await postEntry(scot().admin, 'event', event.id, { body: '<p>as written</p>' });
        const before = await Promise.all([
          storedForm(scot().admin, 'alertgroup', id),
          storedForm(scot().admin, 'alert', alerts[0]),
          storedForm(scot().admin, 'incident', incident.id),
          storedForm(scot().admin, 'entry', entry.id),
        ]);

        expectError(await scot().admin.put(`/alertgroup/${id}`, { promote: 'new' }), 400, 'promote');
        expectError(await scot().admin.put(`/incident/${incident.id}`, { promote: 'new' }), 400, 'promote');
        expectError(await scot().admin.put(`/alert/${alerts[0]}`, { subject: 'alerts have none' }), 400, 'subject');
        expectError(await scot().admin.put(`/alert/${alerts[0]}`, { promote: 999999 }), 404);
        expectError(await scot().admin.put(`/entry/${entry.id}`, { task: 'finish' }), 400, 'task');
        expectError(await scot().admin.put(`/entry/${entry.id}`, { class: 'note' }), 400, 'class');
        expectError(await scot().admin.put(`/entry/${entry.id}`, { task: 'take' }), 409, 'task');
        expectError(await scot().admin.put(`/entry/${entry.id}`, { status: 'closed' }), 400, 'status');
        expectError(await scot().admin.put(`/entry/${entry.id}`, { body: '<p>rewritten</p>', task: 'take' }), 409, 'task');
        expectError(await scot().admin.post('/entry', { target_type: 'user', target_id: 1, body: 'x' }), 400, 'target_type');
        expectError(await scot().admin.post('/entry', { target_type: 'event', target_id: event.id }), 400, 'body');
        expectError(await scot().admin.post('/entry', { target_type: 'event', target_id: 999999, body: 'x' }), 404);
        const elsewhere = await postEntry(scot().admin, 'incident', incident.id);
        expectError(
          await scot().admin.post('/entry', { target_type: 'event', target_id: event.id, body: 'x', parent: elsewhere.id }),
          400,
          'parent',
        );

        const after = await Promise.all([
          storedForm(scot().admin, 'alertgroup', id),
          storedForm(scot().admin, 'alert', alerts[0]),
          storedForm(scot().admin, 'incident', incident.id),
          storedForm(scot().admin, 'entry', entry.id),
        ]);
        // The incident gained an entry (entry_count, updated, rev); nothing else moved.
        assert.deepEqual([after[0], after[1], after[3]], [before[0], before[1], before[3]]);
        assert.equal(after[3].body, '<p>as written</p>');
        assert.equal(after[2].subject, before[2].subject);
        assert.deepEqual(idsOf(await scot().admin.get(`/event/${event.id}/entry`)), [entry.id]);
      });

      it('refuses ids in the path that are not positive whole numbers', async () => {
        for (const bad of ['abc', '0', '-1', '1.5', '1e3', '99999999999999999999']) {
          const error = expectError(await scot().admin.get(`/event/${bad}`), 400, 'id');
          assert.ok(error.error.includes(bad));
        }
        expectError(await scot().admin.put('/event/abc', { subject: 's' }), 400, 'id');
        expectError(await scot().admin.del('/event/abc'), 400, 'id');
        expectError(await scot().admin.get('/event/abc/history'), 400, 'id');
        expectError(await scot().admin.get('/alertgroup/abc/alert'), 400, 'id');
        expectError(await scot().admin.get('/user/abc'), 400, 'id');
        expectError(await scot().admin.get('/event/999999'), 404);
      });

      it('refuses bad list queries with 400 naming the parameter', async () => {
        const cases: [string, string][] = [
          ['limit=-1', 'limit'],
          ['limit=5000', 'limit'],
          ['limit=ten', 'limit'],
          ['limit=10&limit=20', 'limit'],
          ['offset=-1', 'offset'],
          ['colour=red', 'colour'],
          ['sort=colour', 'sort'],
          ['sort=-colour', 'sort'],
          [`sort=${encodeURIComponent('{"id":')}`, 'sort'],
          [`sort=${encodeURIComponent('{"colour":1}')}`, 'sort'],
          ['status=', 'status'],
          ['tag=', 'tag'],
          ['id=abc', 'id'],
          ['created=yesterday', 'created'],
          ['created=1,2,3', 'created'],
          ['deleted=maybe', 'deleted'],
        ];
        for (const [query, field] of cases) expectError(await scot().admin.get(`/event?${query}`), 400, field);
        expectError(await scot().admin.get('/alert?subject=x'), 400, 'subject');
        expectError(await scot().admin.get('/user?limit=-1'), 400, 'limit');
        expectError(await scot().admin.get('/event?withsubject=1'), 400, 'withsubject');
        expectError(await scot().admin.get('/entry?views=1'), 400, 'views');
        expectError(await scot().admin.get('/event?tag=!'), 400, 'tag');
        const event = await postEvent(scot().admin);
        expectError(await scot().admin.get(`/event/${event.id}/history?sort=-created`), 400, 'sort');
      });

      it('answers an unparsable body with 400 and a route that does not exist with 404, both JSON', async () => {
        const event = await postEvent(scot().admin, { subject: 'kept' });
        const before = await storedForm(scot().admin, 'event', event.id);
        expectError(await scot().admin.request('PUT', `/event/${event.id}`, '{"subject": "changed"'), 400, '(body)');
        expectError(await scot().admin.request('POST', '/alertgroup', '{"subject": "s", "data": [}'), 400, '(body)');
        expectError(await scot().admin.request('PUT', `/event/${event.id}`, ''), 400, '(body)');
        assert.deepEqual(await storedForm(scot().admin, 'event', event.id), before);

        for (const [method, path] of [
          ['GET', '/nothing'],
          ['GET', '/event/1/nothing'],
          ['PATCH', `/event/${event.id}`],
          ['POST', '/event/1'],
        ]) {
          const error = expectError(await scot().admin.request(method, path, method === 'GET' ? undefined : {}), 404);
          assert.match(error.error, /no such route/);
        }
        expectError(await scot().anonymous.get('/nothing'), 404);
      });
    });

    describe('lists', () => {
      const scot = serverFor(backend);
      const T0 = 1_700_000_000;
      const ids: number[] = [];
      /** e1..e5 by index 1..5, created 100 seconds apart from T0. */
      const e = (...n: number[]) => n.map((i) => ids[i - 1]);

      before(async () => {
        const events = [
          { subject: 'Phishing wave', tag: ['phishing'], source: ['email'], owner: 'alice' },
          { subject: 'Malware on host', tag: ['malware'], source: ['edr'], owner: 'bob' },
          { subject: 'phishing follow-up', tag: ['phishing', 'malware'], source: ['email'], owner: 'alice', status: 'closed' },
          { subject: 'Port scan', source: ['ids'], owner: 'bob', status: 'closed' },
          { subject: 'Odd DNS', tag: ['dns'], owner: 'carol' },
        ];
        // The app's clock is the server's only time source: setting it gives each event a known creation time.
        const { app } = scot();
        const clock = app.now;
        try {
          for (const [i, fields] of events.entries()) {
            app.now = () => T0 + i * 100;
            ids.push((await postEvent(scot().admin, fields)).id);
          }
        } finally {
          app.now = clock;
        }
      });

      const list = async (query: string) => expectStatus(await scot().admin.get(`/event?${query}`), 200);
      const listed = async (query: string) => (await list(query)).records.map((r: { id: number }) => r.id);

      it('returns the SCOT envelope, newest first by default', async () => {
        const all = await list('');
        assert.deepEqual(Object.keys(all).sort(), [
          'nextCursor',
          'queryRecordCount',
          'records',
          'totalRecordCount',
          'totalRecordCountExact',
        ]);
        assert.deepEqual(
          all.records.map((r: { id: number }) => r.id),
          e(5, 4, 3, 2, 1),
        );
        assert.deepEqual([all.queryRecordCount, all.totalRecordCount], [5, 5]);
        assert.deepEqual(
          all.records.map((r: { created: number }) => r.created),
          [4, 3, 2, 1, 0].map((i) => T0 + i * 100),
        );
      });

      it('pages with limit and offset, counting every match', async () => {
        const cases: [string, number[]][] = [
          ['limit=2', e(5, 4)],
          ['limit=2&offset=2', e(3, 2)],
          ['limit=2&offset=4', e(1)],
          ['offset=10', []],
          ['limit=1000', e(5, 4, 3, 2, 1)],
          ['limit=0', e(5, 4, 3, 2, 1)],
          ['limit=0&offset=3', e(2, 1)],
        ];
        for (const [query, expected] of cases) {
          const page = await list(query);
          assert.deepEqual(
            page.records.map((r: { id: number }) => r.id),
            expected,
            query,
          );
          assert.equal(page.queryRecordCount, expected.length, query);
          assert.equal(page.totalRecordCount, 5, query);
        }
      });

      it('sorts by fields, ascending or descending, also in the JSON form', async () => {
        const cases: [string, number[]][] = [
          ['sort=id', e(1, 2, 3, 4, 5)],
          ['sort=-id', e(5, 4, 3, 2, 1)],
          ['sort=-created', e(5, 4, 3, 2, 1)],
          ['sort=%2Bcreated', e(1, 2, 3, 4, 5)],
          ['sort=owner,-created', e(3, 1, 4, 2, 5)],
          [`sort=${encodeURIComponent('{"id":1}')}`, e(1, 2, 3, 4, 5)],
          [`sort=${encodeURIComponent('{"created":-1}')}`, e(5, 4, 3, 2, 1)],
          [`sort=${encodeURIComponent('{"status":1,"id":-1}')}`, e(4, 3, 5, 2, 1)],
          [`sort=${encodeURIComponent('{"status":1}')}&sort=${encodeURIComponent('{"id":-1}')}`, e(4, 3, 5, 2, 1)],
          ['sort=owner&sort=-created', e(3, 1, 4, 2, 5)],
        ];
        for (const [query, expected] of cases) assert.deepEqual(await listed(query), expected, query);
      });

      it('filters by status, tag, source, owner, creation time and subject', async () => {
        const cases: [string, number[]][] = [
          ['status=open', e(5, 2, 1)],
          ['status=closed', e(4, 3)],
          ['status=open,closed', e(5, 4, 3, 2, 1)],
          ['tag=phishing', e(3, 1)],
          ['tag=phishing,malware', e(3)],
          ['tag=phishing&tag=malware', e(3)],
          ['tag=phishing&tag=dns', []],
          ['tag=!phishing', e(5, 4, 2)],
          ['tag=malware,!phishing', e(2)],
          [`tag=${encodeURIComponent('["!phishing","!dns"]')}`, e(4, 2)],
          ['tag=unused', []],
          ['tag=!unused', e(5, 4, 3, 2, 1)],
          ['source=email,!edr', e(3, 1)],
          ['source=email', e(3, 1)],
          ['source=ids', e(4)],
          ['owner=alice', e(3, 1)],
          ['owner=alice,carol', e(5, 3, 1)],
          [`created=${T0 + 100},${T0 + 300}`, e(4, 3, 2)],
          [`created=${T0 + 250},`, e(5, 4)],
          [`created=,${T0 + 100}`, e(2, 1)],
          [`created=${T0 + 1000},${T0 + 2000}`, []],
          ['subject=PHISH', e(3, 1)],
          ['subject=on%20h', e(2)],
          ['subject=_', []],
          ['subject=%25', []],
          [`id=${e(2)},${e(4)}`, e(4, 2)],
          [`id=${e(2)}&id=${e(4)}`, e(4, 2)],
          [`id=${encodeURIComponent(JSON.stringify(e(2, 4)))}`, e(4, 2)],
          ['status=open&tag=phishing', e(1)],
          ['owner=alice&status=closed', e(3)],
        ];
        for (const [query, expected] of cases) {
          const page = await list(query);
          assert.deepEqual(
            page.records.map((r: { id: number }) => r.id),
            expected,
            query,
          );
          assert.equal(page.totalRecordCount, expected.length, query);
        }
        const paged = await list('tag=!dns&limit=1&offset=1');
        assert.deepEqual([paged.records.map((r: { id: number }) => r.id), paged.totalRecordCount], [e(3), 4]);
      });

      it('returns only the asked columns, and the id', async () => {
        const page = await list('columns=subject,status&sort=id&limit=2');
        assert.deepEqual(page.records, [
          { id: e(1)[0], subject: 'Phishing wave', status: 'open' },
          { id: e(2)[0], subject: 'Malware on host', status: 'open' },
        ]);
        for (const columns of ['columns=subject&columns=status', `columns=${encodeURIComponent('["subject","status"]')}`]) {
          assert.deepEqual(
            (await list(`${columns}&sort=id&limit=1`)).records,
            [{ id: e(1)[0], subject: 'Phishing wave', status: 'open' }],
            columns,
          );
        }
        const full = await list('limit=1');
        for (const field of [
          'id',
          'subject',
          'status',
          'owner',
          'created',
          'updated',
          'tag',
          'source',
          'groups',
          'entry_count',
        ]) {
          assert.ok(field in full.records[0], `${field} missing from a list record`);
        }
      });

      it('sorts and filters by views, as SCOT 3 calls view_count, and accepts withsubject on alerts', async () => {
        // Views are counted for people signed in, and stored in batches.
        const analyst = await scot().login('admin', ADMIN_PASSWORD);
        for (const n of [2, 2, 4]) expectStatus(await analyst.get(`/event/${e(n)[0]}`), 200);
        await flushViews(scot().app);
        assert.deepEqual(await listed('sort=-views,id'), e(2, 4, 1, 3, 5));
        assert.deepEqual(await listed(`sort=${encodeURIComponent('{"views":-1}')}&sort=id`), e(2, 4, 1, 3, 5));
        assert.deepEqual(await listed('views=1,2'), e(4, 2));
        assert.deepEqual(await listed('view_count=2'), e(2));
        const { alerts } = await postAlertgroup(scot().admin);
        assert.deepEqual(idsOf(await scot().admin.get('/alert?withsubject=1&sort=id')).slice(-alerts.length), alerts);
      });
    });
  });
}
