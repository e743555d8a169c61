import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, expectWritten, postAlertgroup, postEntry, postEvent, serverFor } from '../helpers/e2e.js';
import { openStream } from '../helpers/stream.js';

const red = { read: ['red'], modify: ['red'] };
const blue = { read: ['blue'], modify: ['blue'] };

for (const backend of await backends()) {
  describe(`the change stream (${backend.name})`, { skip: backend.skip, timeout: 60_000 }, () => {
    const scot = serverFor(backend);

    it('pushes a change to a client that may read the object, with a summary, and never to one that may not', async () => {
      const alice = await scot().user('alice', ['red']);
      const bob = await scot().user('bob', ['blue']);
      const aliceStream = await openStream(alice);
      const bobStream = await openStream(bob);
      const secret = await postAlertgroup(scot().admin, { subject: 'red only', groups: red });
      const [notice] = await aliceStream.waitFor((m) => m.type === 'alertgroup' && m.id === secret.id);
      assert.deepEqual(Object.keys(notice).sort(), ['action', 'at', 'id', 'seq', 'summary', 'type', 'who']);
      assert.deepEqual([notice.action, notice.who, notice.summary], ['create', 'admin', { subject: 'red only' }]);
      // Notices leave in seq order: once bob hears of the later object, he would have heard of the earlier one.
      const open = await postAlertgroup(scot().admin, { subject: 'blue too', groups: blue });
      await bobStream.waitFor((m) => m.type === 'alertgroup' && m.id === open.id);
      assert.deepEqual(
        bobStream.notices.filter((m) => m.id === secret.id && m.type === 'alertgroup'),
        [],
      );
      aliceStream.close();
      bobStream.close();
    });

    it('stops telling a client of an object once the object moves to groups it is not in', async () => {
      const carol = await scot().user('carol', ['red']);
      const stream = await openStream(carol);
      const event = await postEvent(scot().admin, { subject: 'moving', groups: red });
      await stream.waitFor((m) => m.type === 'event' && m.id === event.id);
      expectWritten(await scot().admin.put(`/event/${event.id}`, { groups: blue }));
      expectWritten(await scot().admin.put(`/event/${event.id}`, { subject: 'now secret' }));
      const later = await postEvent(scot().admin, { subject: 'still red', groups: red });
      await stream.waitFor((m) => m.type === 'event' && m.id === later.id);
      assert.deepEqual(
        stream.notices.filter((m) => m.type === 'event' && m.id === event.id).map((m) => m.action),
        ['create'],
      );
      stream.close();
    });

    it('summarizes a status change by its new status', async () => {
      const stream = await openStream(scot().admin);
      const group = await postAlertgroup(scot().admin);
      expectWritten(await scot().admin.put(`/alert/${group.alerts[0]}`, { status: 'closed' }));
      const [notice] = await stream.waitFor((m) => m.type === 'alert' && m.id === group.alerts[0]);
      assert.deepEqual([notice.action, notice.summary], ['update', { status: 'closed' }]);
      stream.close();
    });

    it('tells of the changes of one commit in one frame of notices, in seq order', async () => {
      const stream = await openStream(scot().admin);
      const group = await postAlertgroup(scot().admin, { data: [{ host: 'a' }, { host: 'b' }, { host: 'c' }] });
      await stream.waitFor((m) => m.type === 'alertgroup' && m.id === group.id);
      expectWritten(await scot().admin.put(`/alertgroup/${group.id}`, { status: 'closed' }));
      const [closed] = await stream.waitFor((m) => m.type === 'alertgroup' && m.id === group.id && m.action === 'update');
      assert.deepEqual(closed.summary, { status: 'closed' });
      const frame = stream.frames.find((notices) => notices.includes(closed))!;
      assert.deepEqual(
        frame.filter((m) => m.type === 'alert').map((m) => [m.id, m.summary.status]),
        group.alerts.map((id) => [id, 'closed']),
      );
      const seqs = frame.map((m) => m.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
      );
      stream.close();
    });

    it('replays with since what a reconnecting client missed, in order, then goes live, without gaps or duplicates', async () => {
      const first = await openStream(scot().admin);
      const event = await postEvent(scot().admin, { subject: 'seen' });
      const [seen] = await first.waitFor((m) => m.type === 'event' && m.id === event.id);
      first.close();
      await first.closed;
      const missed = [
        await postEvent(scot().admin, { subject: 'missed 1' }),
        await postEvent(scot().admin, { subject: 'missed 2' }),
      ];
      const again = await openStream(scot().admin, `?since=${seen.seq}`);
      const live = await postEvent(scot().admin, { subject: 'live' });
      await again.waitFor((m) => m.type === 'event' && m.id === live.id);
      const events = again.notices.filter((m) => m.type === 'event');
      assert.deepEqual(
        events.map((m) => m.id),
        [...missed.map((e) => e.id), live.id],
      );
      const seqs = again.notices.map((m) => m.seq);
      assert.deepEqual(
        seqs,
        [...new Set(seqs)].sort((a, b) => a - b),
        'each change once, in seq order',
      );
      assert.ok(seqs[0] > seen.seq);
      again.close();
    });

    it('answers a plain GET 426, a bad since 400 naming it, and a caller without credentials 401', async () => {
      expectError(await scot().admin.get('/stream'), 426);
      expectError(await scot().admin.get('/stream?since=yesterday'), 400, 'since');
      expectError(await scot().admin.get('/stream?sinse=3'), 400, 'sinse');
      expectError(await scot().anonymous.get('/stream'), 401);
      await assert.rejects(openStream(scot().anonymous), /401/);
    });

    it('shows everyone viewing an object who else is there and who edits which entry', async () => {
      const dave = await scot().user('dave', ['red']);
      const erin = await scot().user('erin', ['red']);
      const event = await postEvent(scot().admin, { subject: 'shared', groups: red });
      const entry = await postEntry(scot().admin, 'event', event.id);
      const daveStream = await openStream(dave);
      const erinStream = await openStream(erin);
      daveStream.send({ viewing: { type: 'event', id: event.id } });
      await daveStream.waitFor((m) => m.presence?.viewers.length === 1);
      erinStream.send({ viewing: { type: 'event', id: event.id } });
      erinStream.send({ editing: { type: 'entry', id: entry.id } });
      const expected = {
        type: 'event',
        id: event.id,
        viewers: [
          { username: 'dave', editing: null },
          { username: 'erin', editing: entry.id },
        ],
      };
      await daveStream.waitFor((m) => JSON.stringify(m.presence) === JSON.stringify(expected));
      await erinStream.waitFor((m) => JSON.stringify(m.presence) === JSON.stringify(expected));
      erinStream.close();
      await daveStream.waitFor(
        (m) => JSON.stringify(m.presence?.viewers) === JSON.stringify([{ username: 'dave', editing: null }]),
      );
      daveStream.close();
    });

    it('answers viewing an object the client may not read as not found, and keeps it connected', async () => {
      const frank = await scot().user('frank', ['blue']);
      const event = await postEvent(scot().admin, { subject: 'red', groups: red });
      const stream = await openStream(frank);
      stream.send({ viewing: { type: 'event', id: event.id } });
      const [error] = await stream.waitFor((m) => 'error' in m);
      assert.deepEqual(error, { error: `event ${event.id} not found`, field: 'viewing.id' });
      stream.send({ viewing: null });
      const mine = await postEvent(scot().admin, { subject: 'blue', groups: blue });
      await stream.waitFor((m) => m.type === 'event' && m.id === mine.id);
      stream.close();
    });

    it('disconnects a client sending garbage, naming the fault, while other clients go on', async () => {
      const bystander = await openStream(scot().admin);
      const garbage = await openStream(scot().admin);
      garbage.send('{"viewing": [1, 2');
      const closed = await garbage.closed;
      assert.equal(closed.code, 1008);
      assert.match(closed.reason, /must be JSON/);
      assert.equal(garbage.messages[0].field, '(message)');
      const wrongField = await openStream(scot().admin);
      wrongField.send({ viewing: { type: 'event', id: -3 } });
      assert.equal((await wrongField.closed).code, 1008);
      assert.equal(wrongField.messages[0].field, 'viewing.id');
      const event = await postEvent(scot().admin, { subject: 'after the garbage' });
      await bystander.waitFor((m) => m.type === 'event' && m.id === event.id);
      bystander.close();
    });

    it('disconnects a client flooding messages, while other clients go on', async () => {
      const bystander = await openStream(scot().admin);
      const flood = await openStream(scot().admin);
      for (let i = 0; i < 200; i++) flood.send({ viewing: null });
      const closed = await flood.closed;
      assert.equal(closed.code, 1008);
      assert.match(closed.reason, /too many messages/);
      const event = await postEvent(scot().admin, { subject: 'after the flood' });
      await bystander.waitFor((m) => m.type === 'event' && m.id === event.id);
      bystander.close();
    });

    it('disconnects a client whose account changed, so it never hears with groups it lost', async () => {
      const grace = await scot().user('grace', ['red']);
      const stream = await openStream(grace);
      const me = expectStatus(await scot().admin.get('/user'), 200).records.find(
        (u: { username: string }) => u.username === 'grace',
      );
      expectStatus(await scot().admin.put(`/user/${me.id}`, { groups: ['blue'] }), 200);
      const closed = await stream.closed;
      assert.equal(closed.code, 4001);
      assert.match(closed.reason, /account changed/);
    });
  });

  describe(`the change stream's heartbeat (${backend.name})`, { skip: backend.skip, timeout: 60_000 }, () => {
    const scot = serverFor(backend, { stream: { heartbeatMs: 50 } });

    it('drops a client that stops answering pings, and keeps one that answers', async () => {
      const answering = await openStream(scot().admin);
      const dead = await openStream(scot().admin, '', { autoPong: false });
      assert.equal((await dead.closed).code, 1006);
      const event = await postEvent(scot().admin, { subject: 'still here' });
      await answering.waitFor((m) => m.type === 'event' && m.id === event.id);
      answering.close();
    });
  });
}
