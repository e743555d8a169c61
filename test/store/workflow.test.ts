import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import type { App } from '../../src/app/context.js';
import { addEntry } from '../../src/app/entry.js';
import { createCase, deleteObject, getObject, history, listObjects, updateObject } from '../../src/app/object.js';
import { flushViews } from '../../src/app/viewing.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, as, changesOf, countRows, rejectsWith, storedRow, T0, unitFor, useFixture } from '../helpers/store.js';

const alice = as('alice');
const bob = as('bob');
const reader = as('rita', ['ir-readonly']);
const outsider = as('olga', ['hr']);

/** An alertgroup of `n` alerts readable by ir-readonly, modifiable by ir. */
async function alertgroup(app: App, subject: string, n = 3, tag: string[] = ['phishing']) {
  return ingestAlertgroup(app, alice, {
    subject,
    data: Array.from({ length: n }, (_, i) => ({ i })),
    tag,
    source: ['splunk'],
    groups: { read: ['ir-readonly'], modify: ['ir'] },
  });
}

/** Every table's row count: a use case that fails must leave all of them as they were. */
async function snapshot(app: App) {
  const tables = ['alertgroup', 'alert', 'event', 'incident', 'entry', 'tag', 'source', 'change'] as const;
  return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await countRows(app, t)] as const)));
}

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);

    describe('alert status and alertgroup derivation', () => {
      it('closing alerts one by one updates counts, and the alertgroup closes with the last', async () => {
        const { app } = fixture();
        const { id, alerts } = await alertgroup(app, 'close one by one');
        const closed = await updateObject(app, alice, 'alert', alerts[0], { status: 'closed' });
        assert.equal(closed.status, 'closed');
        let group = await getObject(app, alice, 'alertgroup', id);
        assert.deepEqual(
          [group.status, group.open_count, group.closed_count, group.promoted_count, group.alert_count],
          ['open', 2, 1, 0, 3],
        );
        assert.deepEqual(
          (await changesOf(app, 'alertgroup', id)).map((c) => c.action),
          ['create'],
          'no status change yet',
        );
        assert.deepEqual(
          (await changesOf(app, 'alert', alerts[0])).map((c) => [c.action, c.diff]),
          [['update', { status: ['open', 'closed'] }]],
        );

        await updateObject(app, alice, 'alert', alerts[1], { status: 'closed' });
        await updateObject(app, alice, 'alert', alerts[2], { status: 'closed' });
        group = await getObject(app, alice, 'alertgroup', id);
        assert.deepEqual([group.status, group.open_count, group.closed_count], ['closed', 0, 3]);
        assert.deepEqual((await changesOf(app, 'alertgroup', id)).at(-1)!.diff, { status: ['open', 'closed'] });

        await updateObject(app, alice, 'alert', alerts[1], { status: 'open' });
        group = await getObject(app, alice, 'alertgroup', id);
        assert.deepEqual([group.status, group.open_count, group.closed_count], ['open', 1, 2]);
      });

      it('setting the same status again changes and logs nothing', async () => {
        const { app } = fixture();
        const { alerts } = await alertgroup(app, 'same status');
        const before = await storedRow(app, 'alert', alerts[0]);
        const changes = await countRows(app, 'change');
        await updateObject(app, alice, 'alert', alerts[0], { status: 'open' });
        assert.equal((await storedRow(app, 'alert', alerts[0])).rev, before.rev);
        assert.equal(await countRows(app, 'change'), changes);
      });

      it('closing an alertgroup closes its open alerts and keeps promoted ones; reopening reopens the closed', async () => {
        const { app } = fixture();
        const { id, alerts } = await alertgroup(app, 'close the group', 4);
        const event = await updateObject(app, alice, 'alert', alerts[0], { promote: 'new' });
        const closed = await updateObject(app, alice, 'alertgroup', id, { status: 'closed' });
        assert.deepEqual([closed.status, closed.open_count, closed.closed_count, closed.promoted_count], ['promoted', 0, 3, 1]);
        const statuses = async () =>
          (await listObjects(unitFor(app, alice), 'alert', { alertgroup: String(id), sort: 'id' })).records.map((a) => a.status);
        assert.deepEqual(await statuses(), ['promoted', 'closed', 'closed', 'closed']);
        assert.equal((await getObject(app, alice, 'alert', alerts[0])).promotion_id, event.promotion_id);

        const reopened = await updateObject(app, alice, 'alertgroup', id, { status: 'open' });
        assert.deepEqual(
          [reopened.status, reopened.open_count, reopened.closed_count, reopened.promoted_count],
          ['open', 3, 0, 1],
        );
        assert.deepEqual(await statuses(), ['promoted', 'open', 'open', 'open']);
      });
    });

    describe('promotion', () => {
      it('promotes an alert to a new event that inherits subject, labels and groups', async () => {
        const { app } = fixture();
        const { id, alerts } = await alertgroup(app, 'Suspicious login', 2, ['vpn', 'phishing']);
        await updateObject(app, alice, 'alert', alerts[1], { status: 'closed' });
        const alert = await updateObject(app, alice, 'alert', alerts[0], { promote: 'new' });
        assert.equal(alert.status, 'promoted');
        const eventId = alert.promotion_id as number;
        const event = await getObject(app, alice, 'event', eventId);
        assert.equal(event.subject, 'Suspicious login');
        assert.deepEqual(event.tag, ['phishing', 'vpn']);
        assert.deepEqual(event.source, ['splunk']);
        assert.deepEqual(event.groups, { read: ['ir-readonly'], modify: ['ir'] });
        assert.deepEqual(event.promoted_from, [alerts[0]]);
        assert.equal(event.alert_count, 1);
        assert.equal(event.owner, 'alice');
        const group = await getObject(app, alice, 'alertgroup', id);
        assert.deepEqual([group.status, group.promoted_count, group.closed_count, group.open_count], ['promoted', 1, 1, 0]);
        const eventLog = await changesOf(app, 'event', eventId);
        assert.equal(eventLog[0].action, 'create');
        assert.deepEqual(eventLog[0].diff.promoted_from, { alert: [alerts[0]] });
        const alertLog = await changesOf(app, 'alert', alerts[0]);
        assert.deepEqual(alertLog.at(-1)!.diff, { to: { type: 'event', id: eventId }, status: ['open', 'promoted'] });
        assert.equal(alertLog.at(-1)!.action, 'promote');
      });

      it('creates an event from several alerts, adds another alert later, and refuses a second promotion', async () => {
        const { app } = fixture();
        const { alerts } = await alertgroup(app, 'many to one', 3);
        const event = await createCase(app, alice, 'event', {
          subject: 'Campaign',
          promote_from: { alert: [alerts[0], alerts[1], alerts[0]] },
        });
        assert.equal(event.subject, 'Campaign');
        assert.deepEqual(event.promoted_from, [alerts[0], alerts[1]]);
        const added = await updateObject(app, alice, 'alert', alerts[2], { promote: event.id as number });
        assert.equal(added.promotion_id, event.id);
        assert.deepEqual((await getObject(app, alice, 'event', event.id as number)).promoted_from, alerts);
        assert.deepEqual((await changesOf(app, 'event', event.id as number)).at(-1)!.diff, {
          promoted_from: { alert: [alerts[2]] },
        });
        // Promoting again to the same event is a no-op; to another event a conflict.
        await updateObject(app, alice, 'alert', alerts[2], { promote: event.id as number });
        const other = await createCase(app, alice, 'event', { subject: 'Other' });
        await rejectsWith(updateObject(app, alice, 'alert', alerts[2], { promote: other.id as number }), 409, 'promote');
      });

      it('promotes events to an incident with its reporting fields', async () => {
        const { app } = fixture();
        const e1 = await createCase(app, alice, 'event', { subject: 'E1', tag: ['apt'] });
        const e2 = await createCase(app, alice, 'event', { subject: 'E2', tag: ['exfil'] });
        const incident = await createCase(app, alice, 'incident', {
          promote_from: { event: [e1.id as number, e2.id as number] },
          category: 'IMI-2',
          occurred: T0 - 3600,
        });
        assert.equal(incident.subject, 'E1');
        assert.equal(incident.category, 'IMI-2');
        assert.equal(incident.occurred, T0 - 3600);
        assert.deepEqual(incident.tag, ['apt', 'exfil']);
        assert.deepEqual(incident.promoted_from, [e1.id, e2.id]);
        assert.equal((await getObject(app, alice, 'event', e1.id as number)).status, 'promoted');
        await rejectsWith(
          createCase(app, alice, 'incident', { subject: 'x', promote_from: { alert: [1] } }),
          400,
          'promote_from.alert',
        );
        const closed = await updateObject(app, alice, 'incident', incident.id as number, { status: 'closed' });
        assert.equal(closed.closed, T0, 'closing an incident stamps its closed time');
      });

      it('promoting to a nonexistent event rolls back everything the update did', async () => {
        const { app } = fixture();
        const { id, alerts } = await alertgroup(app, 'rollback', 2);
        const alertBefore = await storedRow(app, 'alert', alerts[0]);
        const groupBefore = await storedRow(app, 'alertgroup', id);
        const counts = await snapshot(app);
        await rejectsWith(
          updateObject(app, alice, 'alert', alerts[0], {
            owner: 'carol',
            tag: ['brand-new-tag'],
            status: 'closed',
            promote: 999_999,
          }),
          404,
        );
        assert.deepEqual(await storedRow(app, 'alert', alerts[0]), alertBefore, 'owner, status and rev unchanged');
        assert.deepEqual(await storedRow(app, 'alertgroup', id), groupBefore, 'counts unchanged');
        assert.deepEqual(await snapshot(app), counts, 'no new rows anywhere, not even a change');
        assert.equal(
          await app.store.db.selectFrom('tag').select('id').where('name', '=', 'brand-new-tag').executeTakeFirst(),
          undefined,
        );
      });

      it('an event from a missing alert is not created, and the good alerts stay as they were', async () => {
        const { app } = fixture();
        const { alerts } = await alertgroup(app, 'partial promote', 1);
        const counts = await snapshot(app);
        await rejectsWith(
          createCase(app, alice, 'event', { subject: 'never', promote_from: { alert: [alerts[0], 999_999] } }),
          404,
        );
        assert.deepEqual(await snapshot(app), counts);
        assert.equal((await storedRow(app, 'alert', alerts[0])).status, 'open');
      });

      it('an alertgroup cannot be promoted', async () => {
        const { app } = fixture();
        const { id } = await alertgroup(app, 'not promotable', 1);
        await rejectsWith(updateObject(app, alice, 'alertgroup', id, { promote: 'new' }), 400, 'promote');
      });
    });

    describe('updates and permissions', () => {
      it('changes plain fields and labels with one logged diff and a new revision', async () => {
        const { app, clock } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'Before', tag: ['a'] });
        clock.now = T0 + 60;
        const updated = await updateObject(app, alice, 'event', event.id as number, {
          rev: event.rev as number,
          subject: 'After',
          tag: ['b', 'a', 'b'],
          source: ['ids'],
        });
        assert.equal(updated.subject, 'After');
        assert.deepEqual(updated.tag, ['a', 'b']);
        assert.deepEqual(updated.source, ['ids']);
        assert.equal(updated.updated, T0 + 60);
        assert.ok((updated.rev as number) > (event.rev as number));
        const last = (await changesOf(app, 'event', event.id as number)).at(-1)!;
        assert.deepEqual(last.diff, { subject: ['Before', 'After'], tag: [['a'], ['a', 'b']], source: [[], ['ids']] });
        clock.now = T0;
      });

      it('refuses a stale revision', async () => {
        const { app } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'rev' });
        await updateObject(app, bob, 'event', event.id as number, { subject: 'bob was here' });
        await rejectsWith(
          updateObject(app, alice, 'event', event.id as number, { rev: event.rev as number, subject: 'alice too' }),
          409,
          'rev',
        );
        assert.equal((await getObject(app, alice, 'event', event.id as number)).subject, 'bob was here');
      });

      it('readers may read but not change; others do not see the object at all', async () => {
        const { app } = fixture();
        const { id } = await alertgroup(app, 'permissions', 1);
        assert.equal((await getObject(app, reader, 'alertgroup', id)).id, id);
        await rejectsWith(updateObject(app, reader, 'alertgroup', id, { subject: 'nope' }), 403);
        await rejectsWith(getObject(app, outsider, 'alertgroup', id), 404);
        await rejectsWith(updateObject(app, outsider, 'alertgroup', id, { subject: 'nope' }), 404);
        await rejectsWith(deleteObject(app, outsider, 'alertgroup', id), 404);
        assert.equal((await getObject(app, ADMIN, 'alertgroup', id)).subject, 'permissions');
      });

      it('new groups on an alertgroup follow to its alerts and to entries that had its groups', async () => {
        const { app } = fixture();
        const { id, alerts } = await alertgroup(app, 'regroup', 2);
        const shared = await addEntry(app, alice, { target_type: 'alertgroup', target_id: id, body: 'shared' });
        const own = await addEntry(app, alice, {
          target_type: 'alertgroup',
          target_id: id,
          body: 'own',
          groups: { read: ['ir'], modify: ['ir'] },
        });
        const onAlert = await addEntry(app, alice, { target_type: 'alert', target_id: alerts[0], body: 'on an alert' });
        const regrouped = await updateObject(app, alice, 'alertgroup', id, { groups: { read: ['hr'] } });
        assert.deepEqual(regrouped.groups, { read: ['hr'], modify: ['ir'] });
        for (const alertId of alerts)
          assert.deepEqual((await getObject(app, ADMIN, 'alert', alertId)).groups, { read: ['hr'], modify: ['ir'] });
        assert.deepEqual((await getObject(app, ADMIN, 'entry', shared.id as number)).groups, { read: ['hr'], modify: ['ir'] });
        assert.deepEqual((await getObject(app, ADMIN, 'entry', onAlert.id as number)).groups, { read: ['hr'], modify: ['ir'] });
        assert.deepEqual((await getObject(app, ADMIN, 'entry', own.id as number)).groups, { read: ['ir'], modify: ['ir'] });
        await rejectsWith(getObject(app, reader, 'alertgroup', id), 404);
        await rejectsWith(getObject(app, reader, 'entry', onAlert.id as number), 404);
      });

      it('opening an object counts a view, stored with the next flush, with who viewed it last from where', async () => {
        const { app, clock } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'views' });
        const id = event.id as number;
        await flushViews(app); // views of earlier tests on this app
        await getObject(app, alice, 'event', id, '192.0.2.1');
        clock.now += 60;
        await getObject(app, alice, 'event', id, '192.0.2.2');
        await getObject(app, bob, 'event', id, '192.0.2.3');
        const rev = (await storedRow(app, 'event', id)).rev;
        assert.equal((await storedRow(app, 'event', id)).view_count, 0, 'reading does not write');
        assert.equal(await flushViews(app), 3);
        assert.equal(await flushViews(app), 0, 'each view is stored once');
        const viewed = await getObject(app, alice, 'event', id);
        assert.deepEqual([viewed.view_count, viewed.views], [3, 3]);
        assert.deepEqual(viewed.view_history, {
          alice: { when: clock.now, where: '192.0.2.2' },
          bob: { when: clock.now, where: '192.0.2.3' },
        });
        assert.equal((await storedRow(app, 'event', id)).rev, rev, 'a view is not a change');
      });

      it('reading with an API key is not a view', async () => {
        const { app } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'views' });
        await flushViews(app); // views of earlier tests on this app
        await getObject(app, { ...alice, via: 'apikey' }, 'event', event.id as number);
        assert.equal(await flushViews(app), 0);
        assert.equal((await getObject(app, alice, 'event', event.id as number)).views, 0);
      });
    });

    describe('soft delete and undelete', () => {
      it('deleting an event hides it and its entries; undelete brings back what went with it', async () => {
        const { app, clock } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'to delete' });
        const eventId = event.id as number;
        const kept = await addEntry(app, alice, { target_type: 'event', target_id: eventId, body: 'kept' });
        const gone = await addEntry(app, alice, { target_type: 'event', target_id: eventId, body: 'deleted on its own' });
        clock.now = T0 + 10;
        await deleteObject(app, alice, 'entry', gone.id as number);
        clock.now = T0 + 20;
        await deleteObject(app, alice, 'event', eventId);
        await rejectsWith(getObject(app, alice, 'event', eventId), 404);
        await rejectsWith(getObject(app, alice, 'entry', kept.id as number), 404);
        assert.equal((await storedRow(app, 'event', eventId)).deleted_at, T0 + 20, 'the row stays');
        const unit = unitFor(app, alice);
        const deletedList = await listObjects(unit, 'event', { deleted: 'true', id: String(eventId) });
        assert.deepEqual(
          deletedList.records.map((r) => [r.id, r.deleted]),
          [[eventId, T0 + 20]],
        );
        assert.equal((await listObjects(unit, 'event', { id: String(eventId) })).totalRecordCount, 0);
        assert.equal(
          (await listObjects(unit, 'entry', { target_type: 'event', target_id: String(eventId) })).totalRecordCount,
          0,
        );

        clock.now = T0 + 30;
        const back = await updateObject(app, alice, 'event', eventId, { undelete: true });
        assert.equal(back.deleted, undefined);
        assert.equal(back.entry_count, 1);
        assert.equal((await getObject(app, alice, 'entry', kept.id as number)).body, 'kept');
        await rejectsWith(getObject(app, alice, 'entry', gone.id as number), 404);
        assert.deepEqual(
          (await changesOf(app, 'event', eventId)).map((c) => c.action),
          ['create', 'delete', 'undelete'],
        );
        clock.now = T0;
      });

      it('deleting an alertgroup takes its alerts and their entries along, and undelete brings them back', async () => {
        const { app, clock } = fixture();
        const { id, alerts } = await alertgroup(app, 'delete group', 2);
        const onGroup = await addEntry(app, alice, { target_type: 'alertgroup', target_id: id, body: 'on the group' });
        const onAlert = await addEntry(app, alice, { target_type: 'alert', target_id: alerts[0], body: 'on an alert' });
        clock.now = T0 + 5;
        await deleteObject(app, alice, 'alertgroup', id);
        for (const [type, objectId] of [
          ['alertgroup', id],
          ['alert', alerts[0]],
          ['alert', alerts[1]],
          ['entry', onGroup.id],
          ['entry', onAlert.id],
        ] as const) {
          await rejectsWith(getObject(app, alice, type, objectId as number), 404);
        }
        const unit = unitFor(app, alice);
        assert.equal((await listObjects(unit, 'alert', { alertgroup: String(id) })).totalRecordCount, 0);
        assert.equal(
          (await listObjects(unit, 'entry', { target_type: 'alert', target_id: String(alerts[0]) })).totalRecordCount,
          0,
        );
        await rejectsWith(updateObject(app, alice, 'alert', alerts[0], { undelete: true }), 409, 'undelete');

        await updateObject(app, alice, 'alertgroup', id, { undelete: true });
        assert.equal((await listObjects(unit, 'alert', { alertgroup: String(id) })).totalRecordCount, 2);
        assert.equal((await getObject(app, alice, 'entry', onGroup.id as number)).body, 'on the group');
        assert.equal((await getObject(app, alice, 'entry', onAlert.id as number)).body, 'on an alert');
        assert.equal((await getObject(app, alice, 'alertgroup', id)).alert_count, 2);
        clock.now = T0;
      });

      it('deleting one alert re-derives its alertgroup; undeleting it restores the counts', async () => {
        const { app, clock } = fixture();
        const { id, alerts } = await alertgroup(app, 'delete alert', 2);
        await updateObject(app, alice, 'alert', alerts[1], { status: 'closed' });
        clock.now = T0 + 7;
        await deleteObject(app, alice, 'alert', alerts[0]);
        let group = await getObject(app, alice, 'alertgroup', id);
        assert.deepEqual([group.status, group.alert_count, group.open_count, group.closed_count], ['closed', 1, 0, 1]);
        await updateObject(app, alice, 'alert', alerts[0], { undelete: true });
        group = await getObject(app, alice, 'alertgroup', id);
        assert.deepEqual([group.status, group.alert_count, group.open_count, group.closed_count], ['open', 2, 1, 1]);
        clock.now = T0;
      });

      it('an entry on a deleted object cannot be undeleted alone', async () => {
        const { app, clock } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'entry undelete' });
        const entry = await addEntry(app, alice, { target_type: 'event', target_id: event.id as number, body: 'x' });
        clock.now = T0 + 3;
        await deleteObject(app, alice, 'event', event.id as number);
        await rejectsWith(updateObject(app, alice, 'entry', entry.id as number, { undelete: true }), 409, 'undelete');
        clock.now = T0;
      });
    });

    describe('entries', () => {
      it('sanitizes the body, inherits the target groups and touches the target', async () => {
        const { app, clock } = fixture();
        const event = await createCase(app, alice, 'event', {
          subject: 'entries',
          groups: { read: ['ir', 'ir-readonly'], modify: ['ir'] },
        });
        clock.now = T0 + 100;
        const entry = await addEntry(app, bob, {
          target_type: 'event',
          target_id: event.id as number,
          body: '<p onclick="x()">Found <b>evil.com</b></p><script>alert(1)</script>',
        });
        assert.equal(entry.body, '<p>Found <b>evil.com</b></p>');
        assert.equal(entry.owner, 'bob');
        assert.equal(entry.class, 'entry');
        assert.equal(entry.task, null);
        assert.deepEqual(entry.target, { type: 'event', id: event.id });
        assert.deepEqual(entry.groups, { read: ['ir', 'ir-readonly'], modify: ['ir'] });
        const target = await getObject(app, alice, 'event', event.id as number);
        assert.equal(target.updated, T0 + 100);
        assert.equal(target.entry_count, 1);
        assert.deepEqual((await changesOf(app, 'entry', entry.id as number))[0].diff, {
          target: { type: 'event', id: event.id },
          parent: null,
          class: 'entry',
        });
        await rejectsWith(addEntry(app, reader, { target_type: 'event', target_id: event.id as number, body: 'no' }), 403);
        clock.now = T0;
      });

      it('threads replies on the same object only', async () => {
        const { app } = fixture();
        const e1 = await createCase(app, alice, 'event', { subject: 'thread' });
        const e2 = await createCase(app, alice, 'event', { subject: 'elsewhere' });
        const root = await addEntry(app, alice, { target_type: 'event', target_id: e1.id as number, body: 'root' });
        const reply = await addEntry(app, bob, {
          target_type: 'event',
          target_id: e1.id as number,
          body: 'reply',
          parent: root.id as number,
        });
        assert.equal(reply.parent, root.id);
        assert.equal((await getObject(app, alice, 'entry', root.id as number)).reply_count, 1);
        await rejectsWith(
          addEntry(app, bob, { target_type: 'event', target_id: e2.id as number, body: 'x', parent: root.id as number }),
          400,
          'parent',
        );
        await rejectsWith(updateObject(app, bob, 'entry', reply.id as number, { class: 'summary' }), 400, 'class');
      });

      it('an object has one summary: a new one demotes the previous', async () => {
        const { app } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'summaries' });
        const target = { target_type: 'event' as const, target_id: event.id as number };
        const first = await addEntry(app, alice, { ...target, body: 'first', class: 'summary' });
        const second = await addEntry(app, alice, { ...target, body: 'second', class: 'summary' });
        assert.equal((await getObject(app, alice, 'entry', first.id as number)).class, 'entry');
        assert.equal((await getObject(app, alice, 'entry', second.id as number)).class, 'summary');
        assert.deepEqual((await changesOf(app, 'entry', first.id as number)).at(-1)!.diff, { class: ['summary', 'entry'] });

        const promoted = await updateObject(app, alice, 'entry', first.id as number, { class: 'summary' });
        assert.equal(promoted.class, 'summary');
        assert.equal((await getObject(app, alice, 'entry', second.id as number)).class, 'entry');
        const summaries = await listObjects(unitFor(app, alice), 'entry', {
          target_id: String(event.id),
          target_type: 'event',
          class: 'summary',
        });
        assert.deepEqual(
          summaries.records.map((r) => r.id),
          [first.id],
        );
      });

      it('tasks are taken, then completed by whoever holds them', async () => {
        const { app } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'tasks' });
        const task = await addEntry(app, alice, {
          target_type: 'event',
          target_id: event.id as number,
          body: 'block evil.com',
          class: 'task',
        });
        assert.deepEqual(task.task, { status: 'open', who: null, when: T0 });
        const id = task.id as number;

        const taken = await updateObject(app, bob, 'entry', id, { task: 'take' });
        assert.deepEqual(taken.task, { status: 'assigned', who: 'bob', when: T0 });
        assert.equal(taken.owner, 'bob');
        await rejectsWith(updateObject(app, alice, 'entry', id, { task: 'complete' }), 409, 'task');
        const done = await updateObject(app, bob, 'entry', id, { task: 'complete' });
        assert.deepEqual(done.task, { status: 'completed', who: 'bob', when: T0 });
        await rejectsWith(updateObject(app, alice, 'entry', id, { task: 'take' }), 409, 'task');
        const reopened = await updateObject(app, alice, 'entry', id, { task: 'open' });
        assert.deepEqual(reopened.task, { status: 'open', who: null, when: T0 });
        const completedUntaken = await updateObject(app, alice, 'entry', id, { task: 'complete' });
        assert.deepEqual(completedUntaken.task, { status: 'completed', who: 'alice', when: T0 });
        assert.deepEqual(
          (await changesOf(app, 'entry', id)).map((c) => c.action),
          ['create', 'take', 'complete', 'reopen', 'complete'],
        );

        const plain = await addEntry(app, alice, { target_type: 'event', target_id: event.id as number, body: 'not a task' });
        await rejectsWith(updateObject(app, alice, 'entry', plain.id as number, { task: 'take' }), 409, 'task');
        const madeTask = await updateObject(app, alice, 'entry', plain.id as number, { class: 'task', task: 'take' });
        assert.deepEqual(madeTask.task, { status: 'assigned', who: 'alice', when: T0 });
        const open = await listObjects(unitFor(app, alice), 'entry', { task_status: 'assigned', target_id: String(event.id) });
        assert.deepEqual(
          open.records.map((r) => r.id),
          [plain.id],
        );
      });

      it('its author may edit an entry; others need the modify groups', async () => {
        const { app } = fixture();
        const event = await createCase(app, alice, 'event', {
          subject: 'edits',
          groups: { read: ['ir', 'ir-readonly'], modify: ['ir'] },
        });
        const entry = await addEntry(app, alice, { target_type: 'event', target_id: event.id as number, body: '<p>v1</p>' });
        const edited = await updateObject(app, bob, 'entry', entry.id as number, {
          body: '<p>v2 <img src="x" onerror="steal()"></p>',
        });
        assert.equal(edited.body, '<p>v2 <img src="x" /></p>');
        assert.deepEqual((await changesOf(app, 'entry', entry.id as number)).at(-1)!.diff, {
          body: ['<p>v1</p>', '<p>v2 <img src="x" /></p>'],
        });
        await rejectsWith(updateObject(app, reader, 'entry', entry.id as number, { body: 'no' }), 403);
      });
    });

    describe('history', () => {
      it('lists an object changes oldest first, newest first on request, paged', async () => {
        const { app, clock } = fixture();
        const event = await createCase(app, alice, 'event', { subject: 'v0', groups: { read: ['ir-readonly'], modify: ['ir'] } });
        const id = event.id as number;
        for (let i = 1; i <= 4; i++) {
          clock.now = T0 + i;
          await updateObject(app, i % 2 ? bob : alice, 'event', id, { subject: `v${i}` });
        }
        clock.now = T0 + 5;
        await updateObject(app, alice, 'event', id, { status: 'closed' });
        clock.now = T0;
        const all = await history(app, reader, 'event', id, {});
        assert.equal(all.totalRecordCount, 6);
        assert.deepEqual(
          all.records.map((r) => r.action),
          ['create', 'update', 'update', 'update', 'update', 'update'],
        );
        assert.deepEqual(
          all.records.map((r) => r.when),
          [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5],
        );
        assert.deepEqual(
          all.records.map((r) => r.who),
          ['alice', 'bob', 'alice', 'bob', 'alice', 'alice'],
        );
        const seqs = all.records.map((r) => r.seq as number);
        assert.deepEqual(
          [...seqs].sort((a, b) => a - b),
          seqs,
        );
        assert.deepEqual(all.records[2].diff, { subject: ['v1', 'v2'] });
        assert.deepEqual(all.records[5].diff, { status: ['open', 'closed'] });

        const newest = await history(app, alice, 'event', id, { sort: '-seq', limit: '2' });
        assert.deepEqual(
          newest.records.map((r) => r.seq),
          [seqs[5], seqs[4]],
        );
        assert.equal(newest.totalRecordCount, 6);
        const page = await history(app, alice, 'event', id, { limit: '2', offset: '4' });
        assert.deepEqual(
          page.records.map((r) => r.seq),
          [seqs[4], seqs[5]],
        );
        await rejectsWith(history(app, alice, 'event', id, { sort: 'when' }), 400, 'sort');
        await rejectsWith(history(app, outsider, 'event', id, {}), 404);

        await deleteObject(app, alice, 'event', id);
        const afterDelete = await history(app, alice, 'event', id, { sort: '-seq', limit: '1' });
        assert.equal(afterDelete.records[0].action, 'delete', 'history stays readable after delete');
      });
    });
  });
}
