import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
  REFERENCE_ALERTGROUP,
  serverFor,
} from '../helpers/e2e.js';
import type { Client } from '../helpers/server.js';

const sorted = (names: string[]) => [...names].sort();

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    describe('acceptance: an alertgroup becomes an event, then an incident', () => {
      // Each step builds on the one before, as an analyst's day does.
      let group: { id: number; alerts: number[] };
      let eventId: number;
      let incidentId: number;
      let analyst: Client;
      const entries: Record<string, number> = {};

      it('ingests the reference alertgroup posted with an API key', async () => {
        const body = expectStatus(await scot().admin.post('/alertgroup', REFERENCE_ALERTGROUP), 201);
        assert.equal(body.status, 'ok');
        assert.ok(Number.isInteger(body.id) && body.id > 0);
        assert.equal(body.alerts.length, 2);
        assert.ok(body.alerts.every((id: unknown) => Number.isInteger(id)));
        group = { id: body.id, alerts: body.alerts };
      });

      it('answers a repost of the same message_id with the existing alertgroup', async () => {
        const body = expectStatus(await scot().admin.post('/alertgroup', REFERENCE_ALERTGROUP), 200);
        assert.equal(body.id, group.id);
        assert.deepEqual(body.alerts, group.alerts);
        const sameMessage = expectStatus(
          await scot().admin.get(`/alertgroup?message_id=${REFERENCE_ALERTGROUP.message_id}`),
          200,
        );
        assert.equal(sameMessage.totalRecordCount, 1);
        assert.equal(expectStatus(await scot().admin.get(`/alert?alertgroup=${group.id}`), 200).totalRecordCount, 2);
      });

      it('shows the alertgroup with its columns, labels, counts and open status', async () => {
        const ag = expectStatus(await scot().admin.get(`/alertgroup/${group.id}`), 200);
        assert.equal(ag.id, group.id);
        assert.equal(ag.subject, REFERENCE_ALERTGROUP.subject);
        assert.equal(ag.message_id, REFERENCE_ALERTGROUP.message_id);
        assert.deepEqual(ag.columns, REFERENCE_ALERTGROUP.columns);
        assert.deepEqual(sorted(ag.tag), sorted(REFERENCE_ALERTGROUP.tag));
        assert.deepEqual(sorted(ag.source), sorted(REFERENCE_ALERTGROUP.source));
        assert.equal(ag.status, 'open');
        assert.deepEqual(
          {
            alert_count: ag.alert_count,
            open_count: ag.open_count,
            closed_count: ag.closed_count,
            promoted_count: ag.promoted_count,
          },
          { alert_count: 2, open_count: 2, closed_count: 0, promoted_count: 0 },
        );
        assert.equal(ag.owner, 'admin');
        assert.deepEqual(ag.groups, { read: ['ir'], modify: ['ir'] });
        assert.ok(Number.isInteger(ag.created) && ag.created > 1_600_000_000);
        assert.ok(ag.updated >= ag.created);
        assert.equal(ag.entry_count, 0);
        assert.equal(ag.view_count, 0, 'reading with an API key is not a view');
      });

      it('lists the two alerts of the alertgroup with their rows', async () => {
        const list = expectStatus(await scot().admin.get(`/alertgroup/${group.id}/alert`), 200);
        assert.equal(list.totalRecordCount, 2);
        assert.equal(list.queryRecordCount, 2);
        assert.deepEqual(
          list.records.map((a: { id: number }) => a.id),
          group.alerts,
        );
        assert.deepEqual(
          list.records.map((a: { data: unknown }) => a.data),
          REFERENCE_ALERTGROUP.data,
        );
        for (const alert of list.records) {
          assert.equal(alert.alertgroup, group.id);
          assert.equal(alert.status, 'open');
          assert.equal(alert.promotion_id, null);
        }
      });

      it('promotes both alerts into a new event that inherits subject, tags and sources', async () => {
        const event = expectWritten(await scot().admin.post('/event', { promote_from: { alert: group.alerts } }), 201);
        eventId = event.id;
        assert.deepEqual(event.promoted_from, group.alerts);
        assert.equal(event.alert_count, 2);
        assert.equal(event.subject, REFERENCE_ALERTGROUP.subject);
        assert.deepEqual(sorted(event.tag), sorted(REFERENCE_ALERTGROUP.tag));
        assert.deepEqual(sorted(event.source), sorted(REFERENCE_ALERTGROUP.source));
        assert.equal(event.status, 'open');
        assert.deepEqual(event.groups, { read: ['ir'], modify: ['ir'] });
        for (const id of group.alerts) {
          const alert = expectStatus(await scot().admin.get(`/alert/${id}`), 200);
          assert.equal(alert.status, 'promoted');
          assert.equal(alert.promotion_id, eventId);
        }
        const ag = expectStatus(await scot().admin.get(`/alertgroup/${group.id}`), 200);
        assert.equal(ag.status, 'promoted');
        assert.equal(ag.promoted_count, 2);
        assert.equal(ag.open_count, 0);
        assert.deepEqual(idsOf(await scot().admin.get(`/event/${eventId}/alert`)), group.alerts);
      });

      it('adds entries to the event, with a threaded reply and sanitized HTML', async () => {
        const first = await postEntry(scot().admin, 'event', eventId, {
          body: '<p>First look: <b>bad</b><script>alert(1)</script></p>',
        });
        assert.equal(first.body, '<p>First look: <b>bad</b></p>');
        assert.deepEqual(first.target, { type: 'event', id: eventId });
        assert.equal(first.class, 'entry');
        assert.equal(first.owner, 'admin');
        assert.equal(first.parent, null);
        const reply = await postEntry(scot().admin, 'event', eventId, { body: '<p>agreed</p>', parent: first.id });
        assert.equal(reply.parent, first.id);
        entries.first = first.id;
        entries.reply = reply.id;

        assert.deepEqual(idsOf(await scot().admin.get(`/entry/${first.id}/entry`)), [reply.id]);
        assert.equal(expectStatus(await scot().admin.get(`/entry/${first.id}`), 200).reply_count, 1);
        // The first entry of the event is the one its promotion wrote.
        const threaded = expectStatus(await scot().admin.get(`/event/${eventId}/entry`), 200);
        const [promotion, ...written] = threaded.records;
        assert.match(promotion.body, /^<p>Promoted from alertgroup/);
        assert.deepEqual(
          written.map((e: any) => [e.id, e.children.map((c: any) => c.id)]),
          [[first.id, [reply.id]]],
        );
        assert.deepEqual(idsOf(await scot().admin.get(`/event/${eventId}/entry?flat=1`)), [promotion.id, first.id, reply.id]);
        assert.equal(expectStatus(await scot().admin.get(`/event/${eventId}`), 200).entry_count, 3);
      });

      it('promotes an entry to the summary, demoting the previous summary', async () => {
        const second = await postEntry(scot().admin, 'event', eventId, { body: '<p>what happened</p>' });
        entries.second = second.id;
        const promoted = expectWritten(await scot().admin.put(`/entry/${entries.first}`, { class: 'summary' }), 200);
        assert.equal(promoted.class, 'summary');
        expectWritten(await scot().admin.put(`/entry/${second.id}`, { class: 'summary' }), 200);
        assert.equal(expectStatus(await scot().admin.get(`/entry/${second.id}`), 200).class, 'summary');
        assert.equal(expectStatus(await scot().admin.get(`/entry/${entries.first}`), 200).class, 'entry');
        const summaries = expectStatus(await scot().admin.get(`/event/${eventId}/entry?class=summary`), 200);
        assert.deepEqual(
          summaries.records.map((e: { id: number }) => e.id),
          [second.id],
        );
        expectError(await scot().admin.put(`/entry/${entries.reply}`, { class: 'summary' }), 400, 'class');
      });

      it('makes an entry a task that another analyst takes and completes', async () => {
        analyst = await scot().user('analyst', ['ir']);
        const task = await postEntry(scot().admin, 'event', eventId, { body: '<p>check the proxy logs</p>' });
        entries.task = task.id;
        const marked = expectWritten(await scot().admin.put(`/entry/${task.id}`, { class: 'task' }), 200);
        assert.equal(marked.class, 'task');
        assert.equal(marked.task.status, 'open');
        assert.equal(marked.task.who, null);

        const taken = expectWritten(await analyst.put(`/entry/${task.id}`, { task: 'take' }), 200);
        assert.equal(taken.owner, 'analyst');
        assert.equal(taken.task.status, 'assigned');
        assert.equal(taken.task.who, 'analyst');

        expectError(await scot().admin.put(`/entry/${task.id}`, { task: 'complete' }), 409, 'task');
        assert.equal(expectStatus(await scot().admin.get(`/entry/${task.id}`), 200).task.status, 'assigned');

        const done = expectWritten(await analyst.put(`/entry/${task.id}`, { task: 'complete' }), 200);
        assert.equal(done.task.status, 'completed');
        assert.equal(done.task.who, 'analyst');
        assert.equal(done.owner, 'analyst');
        const open = expectStatus(await scot().admin.get(`/entry?class=task&task_status=completed&target_id=${eventId}`), 200);
        assert.deepEqual(
          open.records.map((e: { id: number }) => e.id),
          [task.id],
        );
      });

      it('promotes the event to a new incident', async () => {
        const event = expectWritten(await scot().admin.put(`/event/${eventId}`, { promote: 'new' }), 200);
        assert.equal(event.status, 'promoted');
        assert.ok(Number.isInteger(event.promotion_id));
        incidentId = event.promotion_id;
        const incident = expectStatus(await scot().admin.get(`/incident/${incidentId}`), 200);
        assert.deepEqual(incident.promoted_from, [eventId]);
        assert.equal(incident.event_count, 1);
        assert.equal(incident.subject, REFERENCE_ALERTGROUP.subject);
        assert.deepEqual(sorted(incident.tag), sorted(REFERENCE_ALERTGROUP.tag));
        assert.equal(incident.status, 'open');
        assert.equal(incident.closed, null);
        assert.deepEqual(idsOf(await scot().admin.get(`/incident/${incidentId}/event`)), [eventId]);
        expectError(await scot().admin.put(`/event/${eventId}`, { promote: 'new' }), 409, 'promote');
      });

      it('closes the incident, stamping its closed time, and reopens it', async () => {
        const before = Math.floor(Date.now() / 1000);
        const closed = expectWritten(await scot().admin.put(`/incident/${incidentId}`, { status: 'closed' }), 200);
        assert.equal(closed.status, 'closed');
        assert.ok(closed.closed >= before && closed.closed <= Math.floor(Date.now() / 1000) + 1, `closed time ${closed.closed}`);
        const reopened = expectWritten(await scot().admin.put(`/incident/${incidentId}`, { status: 'open' }), 200);
        assert.equal(reopened.status, 'open');
      });

      it('keeps the audit history of every step: who, what and the change', async () => {
        const alert = await historyOf(scot().admin, 'alert', group.alerts[0]);
        assert.deepEqual(
          alert.map((c) => c.action),
          ['create', 'promote'],
        );
        assert.ok(alert.every((c) => c.who === 'admin' && c.type === 'alert' && c.id === group.alerts[0]));
        assert.deepEqual(alert[1].diff, { to: { type: 'event', id: eventId }, status: ['open', 'promoted'] });
        assert.ok(alert.every((c) => Number.isInteger(c.when) && Number.isInteger(c.seq)));

        const ag = await historyOf(scot().admin, 'alertgroup', group.id);
        assert.equal(ag[0].action, 'create');
        assert.equal(ag[0].diff.message_id, REFERENCE_ALERTGROUP.message_id);
        assert.equal(ag[0].diff.alert_count, 2);
        assert.deepEqual(ag.at(-1).diff.status, ['open', 'promoted']);

        const event = await historyOf(scot().admin, 'event', eventId);
        assert.deepEqual(
          event.map((c) => c.action),
          ['create', 'promote'],
        );
        assert.deepEqual(event[0].diff.promoted_from, { alert: group.alerts });
        assert.deepEqual(event[1].diff.to, { type: 'incident', id: incidentId });

        const task = await historyOf(scot().admin, 'entry', entries.task);
        assert.deepEqual(
          task.map((c) => [c.action, c.who]),
          [
            ['create', 'admin'],
            ['update', 'admin'],
            ['take', 'analyst'],
            ['complete', 'analyst'],
          ],
        );
        assert.deepEqual(task[1].diff, { class: ['entry', 'task'] });
        assert.deepEqual(task[2].diff.owner, ['admin', 'analyst']);
        assert.equal(task[3].diff.task[1].status, 'completed');

        const first = await historyOf(scot().admin, 'entry', entries.first);
        assert.deepEqual(
          first.map((c) => c.diff.class),
          ['entry', ['entry', 'summary'], ['summary', 'entry']],
        );

        const incident = await historyOf(scot().admin, 'incident', incidentId);
        assert.deepEqual(
          incident.map((c) => c.action),
          ['create', 'update', 'update'],
        );
        assert.deepEqual(incident[0].diff.promoted_from, { event: [eventId] });
        assert.deepEqual(incident[1].diff.status, ['open', 'closed']);
        assert.equal(incident[1].diff.closed[0], null);
        assert.deepEqual(incident[2].diff.status, ['closed', 'open']);

        const newest = expectStatus(await scot().admin.get(`/incident/${incidentId}/history?sort=-seq&limit=1`), 200);
        assert.equal(newest.records.length, 1);
        assert.equal(newest.totalRecordCount, 3);
        assert.deepEqual(newest.records[0], incident[2]);
      });
    });

    describe('ingest', () => {
      it('keeps keys a row has beyond the given columns', async () => {
        const data = [{ column1name: 'a', column2name: 'b', analyst_note: 'only here' }, { column1name: 'c' }];
        const { id, alerts } = await postAlertgroup(scot().admin, { data });
        const ag = expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200);
        assert.deepEqual(ag.columns.slice(0, 2), ['column1name', 'column2name']);
        assert.deepEqual(expectStatus(await scot().admin.get(`/alert/${alerts[0]}`), 200).data, data[0]);
        assert.deepEqual(expectStatus(await scot().admin.get(`/alert/${alerts[1]}`), 200).data, data[1]);
      });

      it('defaults columns to the row keys in first-seen order', async () => {
        const data = [
          { src: '10.0.0.1', dst: '10.0.0.2' },
          { dst: '10.0.0.3', port: 443, detail: { proto: 'tcp' } },
        ];
        const { id, alerts } = await postAlertgroup(scot().admin, { data, columns: undefined });
        assert.deepEqual(expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200).columns, [
          'src',
          'dst',
          'port',
          'detail',
        ]);
        assert.deepEqual(expectStatus(await scot().admin.get(`/alert/${alerts[1]}`), 200).data, data[1]);
      });

      it('creates an alertgroup without message_id every time it is posted', async () => {
        const body = { subject: 'no message id', data: [{ a: 1 }] };
        const first = expectStatus(await scot().admin.post('/alertgroup', body), 201);
        const second = expectStatus(await scot().admin.post('/alertgroup', body), 201);
        assert.notEqual(first.id, second.id);
      });
    });

    describe('promoting alerts one at a time', () => {
      it('promotes an alert to a new event, then another into that event', async () => {
        const { id, alerts } = await postAlertgroup(scot().admin, { tag: ['phishing'], source: ['mail'] });
        const first = expectWritten(await scot().admin.put(`/alert/${alerts[0]}`, { promote: 'new' }), 200);
        assert.equal(first.status, 'promoted');
        const eventId = first.promotion_id;
        assert.ok(Number.isInteger(eventId));
        let event = expectStatus(await scot().admin.get(`/event/${eventId}`), 200);
        assert.deepEqual(event.promoted_from, [alerts[0]]);
        assert.deepEqual(event.tag, ['phishing']);
        assert.deepEqual(event.source, ['mail']);
        assert.equal(expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200).status, 'open', 'one alert is still open');

        const second = expectWritten(await scot().admin.put(`/alert/${alerts[1]}`, { promote: eventId }), 200);
        assert.equal(second.status, 'promoted');
        assert.equal(second.promotion_id, eventId);
        event = expectStatus(await scot().admin.get(`/event/${eventId}`), 200);
        assert.deepEqual(event.promoted_from, alerts);
        assert.equal(expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200).status, 'promoted');

        // Promoting again into the same event changes nothing; into another one is a conflict.
        expectWritten(await scot().admin.put(`/alert/${alerts[1]}`, { promote: eventId }), 200);
        const other = await postEvent(scot().admin);
        expectError(await scot().admin.put(`/alert/${alerts[1]}`, { promote: other.id }), 409, 'promote');
        assert.equal(expectStatus(await scot().admin.get(`/alert/${alerts[1]}`), 200).promotion_id, eventId);

        const history = await historyOf(scot().admin, 'event', eventId);
        assert.deepEqual(
          history.map((c) => c.action),
          ['create', 'update'],
        );
        assert.deepEqual(history[1].diff, { promoted_from: { alert: [alerts[1]] } });
      });

      it('names the new event as asked when promoting several alerts', async () => {
        const { alerts } = await postAlertgroup(scot().admin);
        const event = expectWritten(
          await scot().admin.post('/event', {
            promote_from: { alert: alerts },
            subject: 'Bad stuff on two hosts',
            tag: ['triaged'],
          }),
          201,
        );
        assert.equal(event.subject, 'Bad stuff on two hosts');
        assert.deepEqual(event.tag, ['triaged']);
        assert.deepEqual(event.promoted_from, alerts);
      });

      it('promotes an event into an existing incident', async () => {
        const incident = expectWritten(await scot().admin.post('/incident', { subject: 'Breach', type: 'intrusion' }), 201);
        const event = await postEvent(scot().admin);
        const promoted = expectWritten(await scot().admin.put(`/event/${event.id}`, { promote: incident.id }), 200);
        assert.equal(promoted.promotion_id, incident.id);
        const after = expectStatus(await scot().admin.get(`/incident/${incident.id}`), 200);
        assert.deepEqual(after.promoted_from, [event.id]);
        assert.equal(after.type, 'intrusion');
      });
    });

    describe('closing and reopening', () => {
      it('derives the alertgroup status from its alerts as they close and reopen', async () => {
        const { id, alerts } = await postAlertgroup(scot().admin);
        const closed = expectWritten(await scot().admin.put(`/alert/${alerts[0]}`, { status: 'closed' }), 200);
        assert.equal(closed.status, 'closed');
        let ag = expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200);
        assert.deepEqual([ag.status, ag.open_count, ag.closed_count], ['open', 1, 1]);
        expectWritten(await scot().admin.put(`/alert/${alerts[1]}`, { status: 'closed' }), 200);
        ag = expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200);
        assert.deepEqual([ag.status, ag.open_count, ag.closed_count], ['closed', 0, 2]);
        expectWritten(await scot().admin.put(`/alert/${alerts[0]}`, { status: 'open' }), 200);
        ag = expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200);
        assert.deepEqual([ag.status, ag.open_count, ag.closed_count], ['open', 1, 1]);
        const history = await historyOf(scot().admin, 'alert', alerts[0]);
        assert.deepEqual(
          history.map((c) => [c.action, c.diff.status]),
          [
            ['create', undefined],
            ['update', ['open', 'closed']],
            ['update', ['closed', 'open']],
          ],
        );
      });

      it('closes the open alerts of an alertgroup with it; promoted alerts stay promoted', async () => {
        const data = [{ host: 'a' }, { host: 'b' }, { host: 'c' }];
        const { id, alerts } = await postAlertgroup(scot().admin, { data });
        expectWritten(await scot().admin.put(`/alert/${alerts[0]}`, { promote: 'new' }), 200);
        const closed = expectWritten(await scot().admin.put(`/alertgroup/${id}`, { status: 'closed' }), 200);
        assert.equal(closed.status, 'promoted', 'no alert is open and one was promoted');
        assert.deepEqual([closed.open_count, closed.closed_count, closed.promoted_count], [0, 2, 1]);
        const statuses = async () =>
          expectStatus(await scot().admin.get(`/alertgroup/${id}/alert`), 200).records.map((a: { status: string }) => a.status);
        assert.deepEqual(await statuses(), ['promoted', 'closed', 'closed']);

        const reopened = expectWritten(await scot().admin.put(`/alertgroup/${id}`, { status: 'open' }), 200);
        assert.equal(reopened.status, 'open');
        assert.deepEqual(await statuses(), ['promoted', 'open', 'open']);

        const refused = expectError(await scot().admin.put(`/alert/${alerts[0]}`, { status: 'open' }), 409, 'status');
        assert.match(refused.error, /promoted to event/);
        assert.deepEqual(await statuses(), ['promoted', 'open', 'open']);

        const plain = await postAlertgroup(scot().admin);
        assert.equal(
          expectWritten(await scot().admin.put(`/alertgroup/${plain.id}`, { status: 'closed' }), 200).status,
          'closed',
        );
        for (const alertId of plain.alerts)
          assert.equal(expectStatus(await scot().admin.get(`/alert/${alertId}`), 200).status, 'closed');
      });

      it('closes and reopens an event', async () => {
        const event = await postEvent(scot().admin);
        assert.equal(expectWritten(await scot().admin.put(`/event/${event.id}`, { status: 'closed' }), 200).status, 'closed');
        assert.equal(expectStatus(await scot().admin.get(`/event/${event.id}`), 200).status, 'closed');
        assert.equal(expectWritten(await scot().admin.put(`/event/${event.id}`, { status: 'open' }), 200).status, 'open');
        const history = await historyOf(scot().admin, 'event', event.id);
        assert.deepEqual(history.map((c) => c.diff.status).slice(1), [
          ['open', 'closed'],
          ['closed', 'open'],
        ]);
      });
    });

    describe('soft delete and undelete', () => {
      it('hides a deleted event and its entries until it is restored', async () => {
        const event = await postEvent(scot().admin, { subject: 'to be deleted' });
        const entry = await postEntry(scot().admin, 'event', event.id);
        const gone = expectStatus(await scot().admin.del(`/event/${event.id}`), 200);
        assert.deepEqual(
          { ...gone, record: undefined },
          { id: event.id, status: 'ok', action: 'delete', thing: 'event', record: undefined },
        );
        assert.equal(gone.record.deleted, gone.record.updated);

        expectError(await scot().admin.get(`/event/${event.id}`), 404);
        expectError(await scot().admin.get(`/entry/${entry.id}`), 404);
        expectError(await scot().admin.put(`/event/${event.id}`, { subject: 'changed' }), 404);
        expectError(await scot().admin.del(`/event/${event.id}`), 404);
        assert.ok(!idsOf(await scot().admin.get('/event?limit=1000')).includes(event.id));
        const deleted = expectStatus(await scot().admin.get(`/event?deleted=true&id=${event.id}`), 200);
        assert.equal(deleted.records.length, 1);
        assert.ok(Number.isInteger(deleted.records[0].deleted));

        const restored = expectWritten(await scot().admin.put(`/event/${event.id}`, { undelete: true }), 200);
        assert.equal(restored.deleted, undefined);
        assert.equal(expectStatus(await scot().admin.get(`/event/${event.id}`), 200).subject, 'to be deleted');
        assert.equal(expectStatus(await scot().admin.get(`/entry/${entry.id}`), 200).body, entry.body);
        assert.ok(idsOf(await scot().admin.get('/event?limit=1000')).includes(event.id));

        const history = await historyOf(scot().admin, 'event', event.id);
        assert.deepEqual(
          history.map((c) => [c.action, c.who]),
          [
            ['create', 'admin'],
            ['delete', 'admin'],
            ['undelete', 'admin'],
          ],
        );
      });

      it('hides the alerts of a deleted alertgroup and restores them with it', async () => {
        const { id, alerts } = await postAlertgroup(scot().admin);
        expectWritten(await scot().admin.del(`/alertgroup/${id}`), 200);
        expectError(await scot().admin.get(`/alertgroup/${id}`), 404);
        expectError(await scot().admin.get(`/alertgroup/${id}/alert`), 404);
        for (const alertId of alerts) expectError(await scot().admin.get(`/alert/${alertId}`), 404);
        assert.deepEqual(idsOf(await scot().admin.get(`/alert?alertgroup=${id}`)), []);
        assert.deepEqual(idsOf(await scot().admin.get(`/alert?alertgroup=${id}&deleted=true&sort=id`)), alerts);
        assert.deepEqual(idsOf(await scot().admin.get(`/alertgroup?deleted=true&id=${id}`)), [id]);

        expectWritten(await scot().admin.put(`/alertgroup/${id}`, { undelete: true }), 200);
        assert.deepEqual(idsOf(await scot().admin.get(`/alertgroup/${id}/alert`)), alerts);
        for (const alertId of alerts) assert.equal(expectStatus(await scot().admin.get(`/alert/${alertId}`), 200).status, 'open');
        const history = await historyOf(scot().admin, 'alertgroup', id);
        assert.deepEqual(
          history.map((c) => c.action),
          ['create', 'delete', 'undelete'],
        );
      });

      it('recounts the alertgroup when one alert is deleted and restored', async () => {
        const { id, alerts } = await postAlertgroup(scot().admin);
        expectWritten(await scot().admin.del(`/alert/${alerts[0]}`), 200);
        let ag = expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200);
        assert.deepEqual([ag.alert_count, ag.open_count], [1, 1]);
        assert.deepEqual(idsOf(await scot().admin.get(`/alertgroup/${id}/alert`)), [alerts[1]]);
        expectWritten(await scot().admin.put(`/alert/${alerts[0]}`, { undelete: true }), 200);
        ag = expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200);
        assert.deepEqual([ag.alert_count, ag.open_count], [2, 2]);
      });
    });

    describe('optimistic revisions', () => {
      it('refuses an update based on a stale rev and keeps the newer change', async () => {
        const event = await postEvent(scot().admin, { subject: 'original' });
        const first = expectWritten(await scot().admin.put(`/event/${event.id}`, { rev: event.rev, subject: 'first edit' }), 200);
        assert.equal(first.rev, event.rev + 1);
        const stale = expectError(
          await scot().admin.put(`/event/${event.id}`, { rev: event.rev, subject: 'second edit' }),
          409,
          'rev',
        );
        assert.match(stale.error, /changed by someone else/);
        const now = expectStatus(await scot().admin.get(`/event/${event.id}`), 200);
        assert.equal(now.subject, 'first edit');
        assert.equal(now.rev, first.rev);
        const second = expectWritten(
          await scot().admin.put(`/event/${event.id}`, { rev: first.rev, subject: 'second edit' }),
          200,
        );
        assert.equal(second.subject, 'second edit');
        assert.equal(second.rev, first.rev + 1);
      });
    });
  });
}
