import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertgroupStatus } from '../../src/domain/status.js';
import { backends } from '../helpers/backend.js';
import {
  expectError,
  expectStatus,
  historyOf,
  postAlertgroup,
  postEntry,
  postEvent,
  serverFor,
  storedForm,
} from '../helpers/e2e.js';
import type { Client, Reply } from '../helpers/server.js';

/** How many requests each race sends at once: more than PostgreSQL's pool (2 × cores + 2, at least 6), so some wait for a connection too. */
const RACERS = 20;

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ host: `host-${i}` }));

const statusesOf = (replies: Reply[]) => replies.map((r) => r.status).sort();

/** The counters and status an alertgroup shows, next to those a recount of its alerts gives. */
async function countersAndRecount(client: Client, alertgroupId: number) {
  const group = await storedForm(client, 'alertgroup', alertgroupId);
  const alerts = expectStatus(await client.get(`/alertgroup/${alertgroupId}/alert?limit=1000`), 200).records;
  const recount = { open: 0, closed: 0, promoted: 0 };
  for (const a of alerts as { status: keyof typeof recount }[]) recount[a.status] += 1;
  return {
    shown: {
      status: group.status,
      alert_count: group.alert_count,
      open_count: group.open_count,
      closed_count: group.closed_count,
      promoted_count: group.promoted_count,
    },
    recount: {
      status: alertgroupStatus(recount),
      alert_count: alerts.length,
      open_count: recount.open,
      closed_count: recount.closed,
      promoted_count: recount.promoted,
    },
  };
}

const eventTotal = async (client: Client) => expectStatus(await client.get('/event?limit=1'), 200).totalRecordCount as number;

for (const backend of await backends()) {
  describe(`${backend.name}: parallel requests`, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    it('of parallel saves with the same rev exactly one wins and the others are refused as stale', async () => {
      const event = await storedForm(scot().admin, 'event', (await postEvent(scot().admin)).id);
      const replies = await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          scot().admin.put(`/event/${event.id}`, { rev: event.rev, subject: `edit ${i}` }),
        ),
      );
      assert.deepEqual(statusesOf(replies), [200, ...Array(RACERS - 1).fill(409)]);
      for (const stale of replies.filter((r) => r.status === 409)) expectError(stale, 409, 'rev');
      const winner = replies.findIndex((r) => r.status === 200);
      const stored = await storedForm(scot().admin, 'event', event.id);
      assert.equal(stored.subject, `edit ${winner}`);
      assert.equal(stored.rev, event.rev + 1);
      assert.deepEqual(
        (await historyOf(scot().admin, 'event', event.id)).map((c) => c.action),
        ['create', 'update'],
      );
    });

    it('parallel closes of every alert leave the alertgroup closed, its counters equal to a recount', async () => {
      const group = await postAlertgroup(scot().admin, { data: rows(RACERS) });
      const replies = await Promise.all(group.alerts.map((id) => scot().admin.put(`/alert/${id}`, { status: 'closed' })));
      assert.deepEqual(statusesOf(replies), Array(RACERS).fill(200));
      const { shown, recount } = await countersAndRecount(scot().admin, group.id);
      assert.deepEqual(shown, recount);
      assert.deepEqual(shown, { status: 'closed', alert_count: RACERS, open_count: 0, closed_count: RACERS, promoted_count: 0 });
      const statusChanges = (await historyOf(scot().admin, 'alertgroup', group.id)).filter((c) => c.diff.status);
      assert.deepEqual(
        statusChanges.map((c) => c.diff.status),
        [['open', 'closed']],
      );
    });

    it('parallel promotions of one alert to a new event create exactly one event', async () => {
      const group = await postAlertgroup(scot().admin);
      const [alertId] = group.alerts;
      const before = await eventTotal(scot().admin);
      const replies = await Promise.all(
        Array.from({ length: RACERS }, () => scot().admin.put(`/alert/${alertId}`, { promote: 'new' })),
      );
      assert.deepEqual(statusesOf(replies), [200, ...Array(RACERS - 1).fill(409)]);
      for (const loser of replies.filter((r) => r.status === 409)) expectError(loser, 409, 'promote');
      assert.equal(await eventTotal(scot().admin), before + 1);
      const alert = await storedForm(scot().admin, 'alert', alertId);
      assert.equal(alert.status, 'promoted');
      assert.deepEqual((await storedForm(scot().admin, 'event', alert.promotion_id)).promoted_from, [alertId]);
      assert.deepEqual(
        (await historyOf(scot().admin, 'alert', alertId)).map((c) => c.action),
        ['create', 'promote'],
      );
    });

    it('parallel promotions of overlapping alerts into new events link each alert to exactly one event', async () => {
      const group = await postAlertgroup(scot().admin, { data: rows(RACERS) });
      const before = await eventTotal(scot().admin);
      // Each request takes two neighbouring alerts, so every alert is asked for by two requests.
      const pairs = group.alerts.map((id, i) => [id, group.alerts[(i + 1) % group.alerts.length]]);
      const replies = await Promise.all(pairs.map((alert) => scot().admin.post('/event', { promote_from: { alert } })));
      const created = replies.filter((r) => r.status === 201).map((r) => r.body.id as number);
      for (const loser of replies.filter((r) => r.status !== 201)) expectError(loser, 409, 'promote');
      assert.equal(await eventTotal(scot().admin), before + created.length);
      const promotedFrom = (await Promise.all(created.map((id) => storedForm(scot().admin, 'event', id)))).flatMap(
        (e) => e.promoted_from,
      );
      const promoted = (await Promise.all(group.alerts.map((id) => storedForm(scot().admin, 'alert', id)))).filter(
        (a) => a.status === 'promoted',
      );
      assert.deepEqual([...promotedFrom].sort(), promoted.map((a) => a.id).sort(), 'each promoted alert is in exactly one event');
      assert.equal(promotedFrom.length, created.length * 2);
      const { shown, recount } = await countersAndRecount(scot().admin, group.id);
      assert.deepEqual(shown, recount);
    });

    it('parallel closes, promotions and deletes keep the alertgroup counters equal to a recount', async () => {
      const group = await postAlertgroup(scot().admin, { data: rows(RACERS) });
      const actions = [
        (id: number) => scot().admin.put(`/alert/${id}`, { status: 'closed' }),
        (id: number) => scot().admin.put(`/alert/${id}`, { promote: 'new' }),
        (id: number) => scot().admin.put(`/alert/${id}`, { status: 'closed' }),
        (id: number) => scot().admin.del(`/alert/${id}`),
      ];
      const replies = await Promise.all(group.alerts.map((id, i) => actions[i % actions.length](id)));
      assert.deepEqual(statusesOf(replies), Array(RACERS).fill(200));
      const { shown, recount } = await countersAndRecount(scot().admin, group.id);
      assert.deepEqual(shown, recount);
      assert.deepEqual(shown, {
        status: 'promoted',
        alert_count: (RACERS * 3) / 4,
        open_count: 0,
        closed_count: RACERS / 2,
        promoted_count: RACERS / 4,
      });
    });

    it('parallel promotions into one existing event and deletes keep the alertgroup counters equal to a recount', async () => {
      const group = await postAlertgroup(scot().admin, { data: rows(RACERS) });
      const target = await postEvent(scot().admin);
      const replies = await Promise.all(
        group.alerts.map((id, i) =>
          i % 2 === 0 ? scot().admin.put(`/alert/${id}`, { promote: target.id }) : scot().admin.del(`/alert/${id}`),
        ),
      );
      assert.deepEqual(statusesOf(replies), Array(RACERS).fill(200));
      const { shown, recount } = await countersAndRecount(scot().admin, group.id);
      assert.deepEqual(shown, recount);
      assert.deepEqual(
        (await storedForm(scot().admin, 'event', target.id)).promoted_from,
        group.alerts.filter((_, i) => i % 2 === 0),
      );
    });

    it('parallel work on an alertgroup, its alerts, their event and entries answers every request without a deadlock', async () => {
      const group = await postAlertgroup(scot().admin, { data: rows(RACERS) });
      const event = await postEvent(scot().admin);
      const note = await postEntry(scot().admin, 'alert', group.alerts[0]);
      const admin = scot().admin;
      const replies = await Promise.all([
        ...group.alerts.map((id, i) =>
          i % 2 === 0 ? admin.put(`/alert/${id}`, { promote: event.id }) : admin.put(`/alert/${id}`, { status: 'closed' }),
        ),
        admin.put(`/alertgroup/${group.id}`, { status: 'closed' }),
        admin.put(`/alertgroup/${group.id}`, { groups: { read: ['ir', 'soc'] }, tag: ['regrouped'] }),
        admin.put(`/event/${event.id}`, { promote: 'new' }),
        admin.post('/entry', { target_type: 'event', target_id: event.id, body: '<p>what we know</p>', class: 'summary' }),
        admin.post('/entry', { target_type: 'alert', target_id: group.alerts[1], body: '<p>seen before</p>' }),
        admin.put(`/entry/${note.id}`, { class: 'task' }),
        admin.del(`/alert/${group.alerts[2]}`),
        admin.del(`/alertgroup/${group.id}`),
      ]);
      for (const r of replies) assert.ok([200, 201, 404, 409].includes(r.status), `HTTP ${r.status}: ${JSON.stringify(r.body)}`);
      expectStatus(await admin.put(`/alertgroup/${group.id}`, { undelete: true }), 200);
      const { shown, recount } = await countersAndRecount(admin, group.id);
      assert.deepEqual(shown, recount);
    });

    it('parallel tag replacements leave the tags of exactly one of them', async () => {
      const event = await postEvent(scot().admin, { tag: ['start'] });
      const replies = await Promise.all(
        Array.from({ length: RACERS }, (_, i) => scot().admin.put(`/event/${event.id}`, { tag: [`tag-${i}`, `also-${i}`] })),
      );
      assert.deepEqual(statusesOf(replies), Array(RACERS).fill(200));
      const { tag } = await storedForm(scot().admin, 'event', event.id);
      assert.equal(tag.length, 2, `tags ${tag.join(', ')}`);
      assert.equal(tag[0].replace('also-', 'tag-'), tag[1]);
      const changes = (await historyOf(scot().admin, 'event', event.id)).filter((c) => c.action === 'update' && c.diff.tag);
      // Each replacement saw the tags the one before it left.
      for (let i = 1; i < changes.length; i++) assert.deepEqual(changes[i].diff.tag[0], changes[i - 1].diff.tag[1]);
      assert.deepEqual(changes.at(-1).diff.tag[1], tag);
    });

    it('parallel summaries written on one event, or made of its entries, leave exactly one summary', async () => {
      const event = await postEvent(scot().admin);
      const entries = await Promise.all(Array.from({ length: RACERS / 2 }, () => postEntry(scot().admin, 'event', event.id)));
      const replies = await Promise.all([
        ...entries.map((e) => scot().admin.put(`/entry/${e.id}`, { class: 'summary' })),
        ...entries.map((_, i) =>
          scot().admin.post('/entry', {
            target_type: 'event',
            target_id: event.id,
            body: `<p>summary ${i}</p>`,
            class: 'summary',
          }),
        ),
      ]);
      assert.deepEqual(statusesOf(replies), [...Array(RACERS / 2).fill(200), ...Array(RACERS / 2).fill(201)]);
      const summaries = expectStatus(await scot().admin.get(`/event/${event.id}/entry?class=summary`), 200);
      assert.equal(summaries.totalRecordCount, 1);
    });

    it('parallel completions of one task record exactly one completion', async () => {
      const event = await postEvent(scot().admin);
      const task = await postEntry(scot().admin, 'event', event.id, { class: 'task' });
      const analysts = await Promise.all(Array.from({ length: 5 }, (_, i) => scot().user(`analyst${i}`, ['ir'])));
      const replies = await Promise.all(
        Array.from({ length: RACERS }, (_, i) => analysts[i % analysts.length].put(`/entry/${task.id}`, { task: 'complete' })),
      );
      assert.deepEqual(statusesOf(replies), Array(RACERS).fill(200));
      const completions = (await historyOf(scot().admin, 'entry', task.id)).filter((c) => c.action === 'complete');
      assert.equal(completions.length, 1);
      const stored = await storedForm(scot().admin, 'entry', task.id);
      assert.equal(stored.task.who, completions[0].who);
      assert.equal(stored.owner, completions[0].who);
    });

    it('parallel takes of one task by different analysts each start from the holder the one before left', async () => {
      const event = await postEvent(scot().admin);
      const task = await postEntry(scot().admin, 'event', event.id, { class: 'task' });
      const analysts = await Promise.all(Array.from({ length: RACERS }, (_, i) => scot().user(`taker${i}`, ['ir'])));
      const replies = await Promise.all(analysts.map((a) => a.put(`/entry/${task.id}`, { task: 'take' })));
      assert.deepEqual(statusesOf(replies), Array(RACERS).fill(200));
      const takes = (await historyOf(scot().admin, 'entry', task.id)).filter((c) => c.action === 'take');
      assert.equal(takes.length, RACERS);
      assert.deepEqual(takes[0].diff.task[0], { status: 'open', who: null });
      for (let i = 1; i < takes.length; i++) assert.deepEqual(takes[i].diff.task[0], takes[i - 1].diff.task[1]);
      const stored = await storedForm(scot().admin, 'entry', task.id);
      assert.deepEqual([stored.task.who, stored.owner], [takes.at(-1).who, takes.at(-1).who]);
    });

    it('an entry added to an event leaves its rev alone, so a save with the rev read before succeeds', async () => {
      const event = await storedForm(scot().admin, 'event', (await postEvent(scot().admin)).id);
      await postEntry(scot().admin, 'event', event.id);
      assert.equal((await storedForm(scot().admin, 'event', event.id)).rev, event.rev);
      expectStatus(await scot().admin.put(`/event/${event.id}`, { rev: event.rev, subject: 'saved after the entry' }), 200);
      assert.equal((await storedForm(scot().admin, 'event', event.id)).subject, 'saved after the entry');
    });
  });
}
