import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { login } from '../../src/app/auth.js';
import { createCase } from '../../src/app/object.js';
import { createUser } from '../../src/app/user.js';
import { flushViews } from '../../src/app/viewing.js';
import { SESSION_COOKIE } from '../../src/http/auth.js';
import { buildServer } from '../../src/http/server.js';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, historyOf, idsOf, postAlertgroup, postEntry, postEvent, serverFor } from '../helpers/e2e.js';
import { ADMIN, openFixture, storedRow } from '../helpers/store.js';

/** The answers SCOT 3 clients read, driven as SCOT 3's own t/api tests drive them. */
for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    describe('write answers', () => {
      it('answers a create with id, action "post", thing and status "ok", the object under record', async () => {
        const body = expectStatus(
          await scot().admin.post('/event', { subject: 'Test Event 1', source: ['firetest'], status: 'open' }),
          201,
        );
        assert.deepEqual(
          { ...body, record: undefined },
          { id: body.id, action: 'post', thing: 'event', status: 'ok', record: undefined },
        );
        assert.equal(body.record.id, body.id);
        assert.equal(body.record.subject, 'Test Event 1');
        assert.equal(body.record.status, 'open');
        const entry = expectStatus(
          await scot().admin.post('/entry', { target_type: 'event', target_id: body.id, body: 'Entry 1' }),
          201,
        );
        assert.deepEqual([entry.action, entry.thing, entry.status, entry.record.body], ['post', 'entry', 'ok', 'Entry 1']);
      });

      it('answers an update with action "put" and the changed object', async () => {
        const event = await postEvent(scot().admin);
        const body = expectStatus(await scot().admin.put(`/event/${event.id}`, { status: 'closed' }), 200);
        assert.deepEqual([body.id, body.action, body.thing, body.status], [event.id, 'put', 'event', 'ok']);
        assert.equal(body.record.status, 'closed');
      });

      it('answers a delete with action "delete" and the deleted object', async () => {
        const event = await postEvent(scot().admin);
        const body = expectStatus(await scot().admin.del(`/event/${event.id}`), 200);
        assert.deepEqual([body.id, body.action, body.thing, body.status], [event.id, 'delete', 'event', 'ok']);
        assert.ok(Number.isInteger(body.record.deleted));
      });

      it('answers a promotion with pid, the event the alert went to', async () => {
        const { alerts } = await postAlertgroup(scot().admin);
        const body = expectStatus(await scot().admin.put(`/alert/${alerts[0]}`, { promote: 'new' }), 200);
        assert.deepEqual([body.id, body.action, body.thing, body.status], [alerts[0], 'put', 'alert', 'ok']);
        assert.ok(Number.isInteger(body.pid));
        assert.equal(body.record.promotion_id, body.pid);
        assert.equal(body.record.status, 'promoted');
        const incident = expectStatus(await scot().admin.put(`/event/${body.pid}`, { promote: 'new' }), 200);
        assert.equal(expectStatus(await scot().admin.get(`/incident/${incident.pid}`), 200).promoted_from[0], body.pid);
      });

      it('answers an alertgroup post with its alerts, action "post" and thing "alertgroup"', async () => {
        const body = expectStatus(
          await scot().admin.post('/alertgroup', {
            message_id: 'scot3-answer',
            subject: 'test',
            data: [{ a: 1 }, { a: 2 }],
            columns: ['a'],
          }),
          201,
        );
        assert.deepEqual([body.action, body.thing, body.status, body.alerts.length], ['post', 'alertgroup', 'ok', 2]);
      });
    });

    describe('promotion', () => {
      it('writes on the event an entry holding the promoted alert rows as a table under their columns', async () => {
        const { id, alerts } = await postAlertgroup(scot().admin, {
          subject: 'Bad <things>',
          data: [
            { host: 'a.example', hits: 3 },
            { host: 'b.example', hits: 1 },
          ],
          columns: ['host', 'hits'],
        });
        const pid = expectStatus(await scot().admin.put(`/alert/${alerts[1]}`, { promote: 'new' }), 200).pid;
        const [entry] = expectStatus(await scot().admin.get(`/event/${pid}/entry`), 200).records;
        assert.equal(
          entry.body,
          `<p>Promoted from alertgroup ${id}: Bad &lt;things&gt;</p><table><thead><tr><th>alert</th><th>host</th><th>hits</th></tr></thead>` +
            `<tbody><tr><td>${alerts[1]}</td><td>b.example</td><td>1</td></tr></tbody></table>`,
        );
        assert.equal(entry.owner, 'admin');
        expectStatus(await scot().admin.put(`/alert/${alerts[0]}`, { promote: pid }), 200);
        const entries = expectStatus(await scot().admin.get(`/event/${pid}/entry`), 200).records;
        assert.equal(entries.length, 2);
        assert.match(entries[1].body, new RegExp(`<td>${alerts[0]}</td><td>a.example</td><td>3</td>`));
      });

      it('shows on each alert its alertgroup subject and columns', async () => {
        const { alerts } = await postAlertgroup(scot().admin, {
          subject: 'Detectotron',
          data: [{ b: 1, a: 2 }],
          columns: ['b', 'a'],
        });
        const alert = expectStatus(await scot().admin.get(`/alert/${alerts[0]}`), 200);
        assert.deepEqual([alert.subject, alert.columns], ['Detectotron', ['b', 'a']]);
      });
    });

    describe('entries and tasks', () => {
      it('lists the entries of an object threaded, replies nested in children, counting top-level entries', async () => {
        const event = await postEvent(scot().admin);
        const first = await postEntry(scot().admin, 'event', event.id, { body: 'Entry 1' });
        const reply = await postEntry(scot().admin, 'event', event.id, { body: 'Reply', parent: first.id });
        const replyToReply = await postEntry(scot().admin, 'event', event.id, { body: 'Reply 2', parent: reply.id });
        const second = await postEntry(scot().admin, 'event', event.id, { body: 'Entry 2' });
        const list = expectStatus(await scot().admin.get(`/event/${event.id}/entry`), 200);
        assert.equal(list.totalRecordCount, 2);
        assert.deepEqual(
          list.records.map((e: any) => e.id),
          [first.id, second.id],
        );
        assert.deepEqual(
          list.records[0].children.map((e: any) => e.id),
          [reply.id],
        );
        assert.deepEqual(
          list.records[0].children[0].children.map((e: any) => e.id),
          [replyToReply.id],
        );
        assert.deepEqual(list.records[1].children, []);
        const page = expectStatus(await scot().admin.get(`/event/${event.id}/entry?limit=1&offset=1`), 200);
        assert.deepEqual([page.totalRecordCount, page.records.map((e: any) => e.id)], [2, [second.id]]);
        const flat = expectStatus(await scot().admin.get(`/event/${event.id}/entry?flat=1`), 200);
        assert.deepEqual(
          flat.records.map((e: any) => e.id),
          [first.id, reply.id, replyToReply.id, second.id],
        );
      });

      it('makes, takes and closes a task with SCOT 3 flags, showing metadata.task', async () => {
        const event = await postEvent(scot().admin);
        const entry = await postEntry(scot().admin, 'event', event.id, { body: 'Entry 1' });
        assert.deepEqual(entry.metadata, {});
        const analyst = await scot().user('tasker', ['ir']);

        expectStatus(await scot().admin.put(`/entry/${entry.id}`, { make_task: 1 }), 200);
        const made = expectStatus(await scot().admin.get(`/entry/${entry.id}`), 200);
        assert.equal(made.class, 'task');
        assert.equal(made.metadata.task.status, 'open');

        expectStatus(await analyst.put(`/entry/${entry.id}`, { take_task: 1 }), 200);
        const taken = expectStatus(await scot().admin.get(`/entry/${entry.id}`), 200);
        assert.deepEqual([taken.metadata.task.status, taken.metadata.task.who], ['assigned', 'tasker']);
        assert.ok(Number.isInteger(taken.metadata.task.when));

        expectStatus(await analyst.put(`/entry/${entry.id}`, { close_task: 1 }), 200);
        assert.equal(expectStatus(await scot().admin.get(`/entry/${entry.id}`), 200).metadata.task.status, 'completed');
        expectStatus(await analyst.put(`/entry/${entry.id}`, { close_task: 1 }), 200);
        expectError(await analyst.put(`/entry/${entry.id}`, { make_task: 'yes' }), 400, 'make_task');
      });

      it('lists task entries at /task and nothing else', async () => {
        const event = await postEvent(scot().admin);
        const task = await postEntry(scot().admin, 'event', event.id, { class: 'task' });
        const plain = await postEntry(scot().admin, 'event', event.id);
        const tasks = expectStatus(await scot().admin.get('/task?limit=1000'), 200);
        assert.ok(tasks.records.some((t: any) => t.id === task.id));
        assert.ok(tasks.records.every((t: any) => t.class === 'task' && t.id !== plain.id));
        assert.equal(tasks.totalRecordCount, tasks.records.length);
      });
    });

    describe('views', () => {
      it('counts an analyst opening an object, not a script reading it by API key, and shows who viewed it last', async () => {
        await scot().user('viewer', ['ir'], 'viewer-password');
        const analyst = await scot().login('viewer', 'viewer-password');
        const event = await postEvent(scot().admin);
        const { id: alertgroup } = await postAlertgroup(scot().admin);
        await flushViews(scot().app);
        expectStatus(await analyst.get(`/event/${event.id}`), 200);
        expectStatus(await analyst.get(`/event/${event.id}`), 200);
        expectStatus(await analyst.get(`/alertgroup/${alertgroup}`), 200);
        expectStatus(await scot().admin.get(`/event/${event.id}`), 200);
        assert.equal(expectStatus(await analyst.get(`/event/${event.id}`), 200).views, 0, 'views are stored in batches');
        assert.equal(await flushViews(scot().app), 4);
        const viewed = expectStatus(await scot().admin.get(`/event/${event.id}`), 200);
        assert.deepEqual([viewed.views, viewed.view_count], [3, 3]);
        assert.deepEqual(Object.keys(viewed.view_history), ['viewer']);
        assert.equal(viewed.view_history.viewer.where, '127.0.0.1');
        assert.ok(Number.isInteger(viewed.view_history.viewer.when));
        assert.equal(expectStatus(await scot().admin.get(`/alertgroup/${alertgroup}`), 200).views, 1);
      });
    });

    describe('views stored on close', () => {
      it('stores the views noted since the last flush when the server closes', async () => {
        const fixture = await openFixture(backend);
        try {
          const { app } = fixture;
          await createUser(app, ADMIN, { username: 'closer', groups: ['ir'], password: 'closer-password' });
          const { token } = await login(app, 'closer', 'closer-password');
          const event = await createCase(app, ADMIN, 'event', { subject: 'viewed before closing' });
          const server = await buildServer(app, { logLevel: false });
          const reply = await server.inject({
            method: 'GET',
            url: `/scot/api/v2/event/${event.id}`,
            cookies: { [SESSION_COOKIE]: token },
          });
          assert.equal(reply.statusCode, 200);
          assert.equal((await storedRow(app, 'event', event.id as number)).view_count, 0);
          await server.close();
          assert.equal((await storedRow(app, 'event', event.id as number)).view_count, 1);
        } finally {
          await fixture.close();
        }
      });
    });

    describe('deleted objects and the audit log', () => {
      it('lists a deleted event at /deleted and restores it with PUT /deleted/:id {"status": "undelete"}', async () => {
        const event = await postEvent(scot().admin, { subject: 'Test Event 1', tag: ['test'] });
        const entry = await postEntry(scot().admin, 'event', event.id);
        expectStatus(await scot().admin.del(`/event/${event.id}`), 200);
        const deleted = expectStatus(await scot().admin.get('/deleted'), 200);
        const mine = deleted.records.find((d: any) => d.type === 'event' && d.data.id === event.id);
        assert.equal(mine.who, 'admin');
        assert.equal(mine.data.subject, 'Test Event 1');
        assert.equal(mine.data.deleted, mine.when);

        const body = expectStatus(await scot().admin.put(`/deleted/${mine.id}`, { status: 'undelete' }), 200);
        assert.deepEqual([body.id, body.action, body.thing, body.status], [event.id, 'undelete', 'event', 'ok']);
        assert.equal(expectStatus(await scot().admin.get(`/event/${event.id}`), 200).subject, 'Test Event 1');
        expectStatus(await scot().admin.get(`/entry/${entry.id}`), 200);
        assert.ok(!expectStatus(await scot().admin.get('/deleted'), 200).records.some((d: any) => d.id === mine.id));
        expectError(await scot().admin.put(`/deleted/${mine.id}`, { status: 'undelete' }), 404);
        assert.equal((await historyOf(scot().admin, 'event', event.id)).at(-1).action, 'undelete');
      });

      it('lists each deleted object once, by its latest deletion', async () => {
        const event = await postEvent(scot().admin);
        expectStatus(await scot().admin.del(`/event/${event.id}`), 200);
        const first = expectStatus(await scot().admin.get('/deleted?limit=1'), 200).records[0];
        expectStatus(await scot().admin.put(`/deleted/${first.id}`, { status: 'undelete' }), 200);
        expectStatus(await scot().admin.del(`/event/${event.id}`), 200);
        const records = expectStatus(await scot().admin.get('/deleted?limit=1000'), 200).records.filter(
          (d: any) => d.type === 'event' && d.data.id === event.id,
        );
        assert.equal(records.length, 1);
        assert.ok(records[0].id > first.id);
      });

      it('keeps /deleted and /audit for admins and refuses what they do not know', async () => {
        const analyst = await scot().user('not-admin', ['ir']);
        expectError(await analyst.get('/deleted'), 403);
        expectError(await analyst.put('/deleted/1', { status: 'undelete' }), 403);
        expectError(await analyst.get('/audit'), 403);
        expectError(await scot().admin.put('/deleted/1', { status: 'delete' }), 400, 'status');
        expectError(await scot().admin.put('/deleted/999999', { status: 'undelete' }), 404);
        expectError(await scot().admin.get('/deleted?sort=id'), 400, 'sort');
        expectError(await scot().admin.get('/audit?user=admin'), 400, 'user');
        expectError(await scot().admin.get('/audit?when=yesterday'), 400, 'when');
        expectError(await scot().admin.get('/audit?id=x'), 400, 'id');
      });

      it('answers /audit with the change log across objects, filtered by type, id, who and time', async () => {
        const auditor = await scot().user('auditor', ['ir']);
        const event = await postEvent(auditor, { subject: 'audited' });
        expectStatus(await auditor.put(`/event/${event.id}`, { status: 'closed' }), 200);
        const entry = await postEntry(auditor, 'event', event.id);
        const all = expectStatus(await scot().admin.get('/audit?who=auditor'), 200);
        assert.deepEqual(
          all.records.map((c: any) => [c.type, c.id, c.action]),
          [
            ['entry', entry.id, 'create'],
            ['event', event.id, 'update'],
            ['event', event.id, 'create'],
          ],
        );
        assert.equal(all.totalRecordCount, 3);
        assert.deepEqual(all.records[1].diff, { status: ['open', 'closed'] });
        const events = expectStatus(await scot().admin.get(`/audit?who=auditor&type=event&id=${event.id}&sort=seq`), 200);
        assert.deepEqual(
          events.records.map((c: any) => c.action),
          ['create', 'update'],
        );
        const [newest, oldest] = [all.records[0].when, all.records[2].when];
        assert.equal(
          expectStatus(await scot().admin.get(`/audit?who=auditor&when=${oldest},${newest}`), 200).totalRecordCount,
          3,
        );
        assert.equal(expectStatus(await scot().admin.get(`/audit?who=auditor&when=${newest + 1},`), 200).totalRecordCount, 0);
        assert.equal(expectStatus(await scot().admin.get(`/audit?who=auditor&when=,${oldest - 1}`), 200).totalRecordCount, 0);
        const page = expectStatus(await scot().admin.get('/audit?who=auditor&limit=1&offset=1'), 200);
        assert.deepEqual([page.queryRecordCount, page.totalRecordCount, page.records[0].action], [1, 3, 'update']);
      });
    });

    describe('routes SCOT 3 had', () => {
      it('shows the event an alert was promoted to, and the incident an event was promoted to', async () => {
        const { alerts } = await postAlertgroup(scot().admin);
        const pid = expectStatus(await scot().admin.put(`/alert/${alerts[0]}`, { promote: 'new' }), 200).pid;
        assert.deepEqual(idsOf(await scot().admin.get(`/alert/${alerts[0]}/event`)), [pid]);
        assert.deepEqual(idsOf(await scot().admin.get(`/alert/${alerts[1]}/event`)), []);
        assert.deepEqual(idsOf(await scot().admin.get(`/event/${pid}/alert`)), [alerts[0]]);
        const incident = expectStatus(await scot().admin.put(`/event/${pid}`, { promote: 'new' }), 200).pid;
        assert.deepEqual(idsOf(await scot().admin.get(`/event/${pid}/incident`)), [incident]);
        assert.deepEqual(idsOf(await scot().admin.get(`/incident/${incident}/event`)), [pid]);
      });

      it('removes one tag or source from an object and records it in the history', async () => {
        const event = await postEvent(scot().admin, { tag: ['test', 'keep'], source: ['firetest'] });
        const tag = expectStatus(await scot().admin.get('/tag?name=test'), 200).records[0];
        const body = expectStatus(await scot().admin.del(`/event/${event.id}/tag/${tag.id}`), 200);
        assert.deepEqual([body.id, body.action, body.thing, body.status], [event.id, 'delete', 'event', 'ok']);
        assert.deepEqual(body.record.tag, ['keep']);
        assert.deepEqual((await historyOf(scot().admin, 'event', event.id)).at(-1).diff, { tag: [['keep', 'test'], ['keep']] });
        const source = expectStatus(await scot().admin.get('/source?name=firetest'), 200).records[0];
        expectStatus(await scot().admin.del(`/event/${event.id}/source/${source.id}`), 200);
        assert.deepEqual(expectStatus(await scot().admin.get(`/event/${event.id}/source`), 200).records, []);
        expectError(await scot().admin.del(`/event/${event.id}/tag/${tag.id}`), 404);
        expectError(await scot().admin.del(`/event/${event.id}/tag/x`), 400, 'tag_id');
      });

      it('hides the new routes of objects the caller may not read, and refuses changes to those read-only', async () => {
        const red = { read: ['red'], modify: ['red'] };
        const { alerts } = await postAlertgroup(scot().admin, { groups: red, tag: ['t'] });
        const pid = expectStatus(await scot().admin.put(`/alert/${alerts[0]}`, { promote: 'new' }), 200).pid;
        const tag = expectStatus(await scot().admin.get('/tag?name=t'), 200).records[0];
        const task = await postEntry(scot().admin, 'event', pid, { class: 'task' });
        const outsider = await scot().user('outsider', ['blue']);
        expectError(await outsider.get(`/alert/${alerts[0]}/event`), 404);
        expectError(await outsider.get(`/event/${pid}/incident`), 404);
        expectError(await outsider.get(`/event/${pid}/entry`), 404);
        expectError(await outsider.del(`/event/${pid}/tag/${tag.id}`), 404);
        assert.ok(idsOf(await scot().admin.get('/task?limit=1000')).includes(task.id));
        assert.ok(!idsOf(await outsider.get('/task?limit=1000')).includes(task.id));
        const reader = await scot().user('reader', ['viewers']);
        const shared = await postEvent(scot().admin, { tag: ['t'], groups: { read: ['viewers'], modify: ['red'] } });
        expectError(await reader.del(`/event/${shared.id}/tag/${tag.id}`), 403);
        assert.deepEqual(expectStatus(await reader.get(`/event/${shared.id}`), 200).tag, ['t']);
      });
    });
  });
}
