import assert from 'node:assert/strict';
import { setTimeout as wait } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
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
} from '../helpers/e2e.js';
import type { Client } from '../helpers/server.js';

/** Polls `path` until `done` holds of its answer; bounded. */
async function until(client: Client, path: string, done: (body: any) => boolean): Promise<any> {
  for (let i = 0; i < 1200; i++) {
    const body = expectStatus(await client.get(path), 200);
    if (done(body)) return body;
    await wait(25);
  }
  assert.fail(`${path} never answered as expected`);
}

/** The entity of `value` once flair has stored it. */
async function entityOf(client: Client, value: string): Promise<any> {
  const found = await until(client, `/entity?value=${encodeURIComponent(value)}`, (b) => b.records.length === 1);
  return found.records[0];
}

const IR = { read: ['ir'], modify: ['ir'] };

for (const backend of await backends()) {
  describe(`${backend.name}: entries on an entity`, { skip: backend.skip }, () => {
    const scot = serverFor(backend, { background: true });
    let alice: Client;
    let bob: Client;
    let entityId: number;
    let seenIn: number;
    before(async () => {
      alice = await scot().user('alice', ['ir']);
      bob = await scot().user('bob', ['ir']);
      await postAlertgroup(alice, { data: [{ src: '10.9.8.7' }], groups: IR });
      const event = await postEvent(alice, { subject: 'beaconing', groups: IR });
      seenIn = (await postEntry(alice, 'event', event.id, { body: '<p>blocked 10.9.8.7 at the proxy</p>' })).id;
      entityId = (await entityOf(alice, '10.9.8.7')).id;
      await until(alice, `/entity/${entityId}/entry?seen=true`, (b) => b.totalRecordCount === 1);
    });

    it('an analyst writes a note on an entity and a reply to it; GET /entity/:id/entry lists them threaded', async () => {
      const note = await postEntry(alice, 'entity', entityId, { body: '<p>scanner of the red team</p>' });
      assert.deepEqual([note.target, note.target_type, note.target_id], [{ type: 'entity', id: entityId }, 'entity', entityId]);
      assert.equal(note.owner, 'alice');
      const reply = await postEntry(bob, 'entity', entityId, { parent: note.id, body: '<p>confirmed with them</p>' });
      const thread = expectStatus(await alice.get(`/entity/${entityId}/entry`), 200);
      const mine = thread.records.find((e: any) => e.id === note.id);
      assert.deepEqual(
        mine.children.map((c: any) => c.id),
        [reply.id],
      );
      assert.ok(!thread.records.some((e: any) => e.id === seenIn), 'an entry the entity was seen in is not a note on it');
      const flat = idsOf(await alice.get(`/entity/${entityId}/entry?flat=1`));
      assert.ok(flat.includes(note.id) && flat.includes(reply.id));
      assert.equal(expectStatus(await alice.get(`/entry/${note.id}`), 200).reply_count, 1);
      // The entries it was seen in are still listed, with ?seen=true.
      assert.deepEqual(idsOf(await alice.get(`/entity/${entityId}/entry?seen=true`)), [seenIn]);
      assert.deepEqual(idsOf(await alice.get(`/entity/${entityId}/entry?seen=1`)), [seenIn]);
    });

    it('its notes take summary and task, are edited, deleted and undeleted, with history', async () => {
      const first = await postEntry(alice, 'entity', entityId, { class: 'summary', body: '<p>first summary</p>' });
      const second = await postEntry(alice, 'entity', entityId, { class: 'summary', body: '<p>second summary</p>' });
      assert.equal(expectStatus(await alice.get(`/entry/${first.id}`), 200).class, 'entry', 'one summary an entity');
      assert.equal(expectStatus(await alice.get(`/entry/${second.id}`), 200).class, 'summary');

      const task = await postEntry(alice, 'entity', entityId, { class: 'task', body: '<p>ask the owner</p>' });
      const taken = expectWritten(await bob.put(`/entry/${task.id}`, { task: 'take' }), 200);
      assert.deepEqual([taken.owner, taken.task.status], ['bob', 'assigned']);
      const done = expectWritten(await bob.put(`/entry/${task.id}`, { task: 'complete' }), 200);
      assert.equal(done.task.status, 'completed');
      assert.ok(idsOf(await alice.get('/task?limit=1000')).includes(task.id));

      const edited = expectWritten(await alice.put(`/entry/${first.id}`, { body: '<p>rewritten</p>' }), 200);
      assert.equal(edited.body, '<p>rewritten</p>');
      const history = await historyOf(alice, 'entry', first.id);
      assert.deepEqual(history[0].diff.target, { type: 'entity', id: entityId });
      assert.deepEqual(history.at(-1).diff.body, ['<p>first summary</p>', '<p>rewritten</p>']);

      expectWritten(await alice.del(`/entry/${first.id}`), 200);
      assert.ok(!idsOf(await alice.get(`/entity/${entityId}/entry?flat=1`)).includes(first.id));
      expectWritten(await alice.put(`/entry/${first.id}`, { undelete: true }), 200);
      assert.ok(idsOf(await alice.get(`/entity/${entityId}/entry?flat=1`)).includes(first.id));
    });

    it('many analysts promoting notes to the summary at once leave the entity one summary', async () => {
      const notes = await Promise.all(
        Array.from({ length: 6 }, (_, i) => postEntry(i % 2 ? alice : bob, 'entity', entityId, { body: `<p>note ${i}</p>` })),
      );
      await Promise.all(notes.map((n, i) => (i % 2 ? bob : alice).put(`/entry/${n.id}`, { class: 'summary' })));
      await Promise.all(
        Array.from({ length: 4 }, (_, i) => postEntry(alice, 'entity', entityId, { class: 'summary', body: `<p>s${i}</p>` })),
      );
      const all = expectStatus(await alice.get(`/entity/${entityId}/entry?flat=1`), 200).records;
      assert.equal(all.filter((e: any) => e.class === 'summary').length, 1);
    });

    it('a note on an entity is flaired, and the entities in it are seen in it', async () => {
      const note = await postEntry(alice, 'entity', entityId, { body: '<p>talks to evil-c2[.]example[.]com</p>' });
      const flaired = await until(alice, `/entry/${note.id}`, (e) => e.flair === 'done');
      assert.match(flaired.body_flair, /data-entity-value="evil-c2\.example\.com"/);
      const domain = await entityOf(alice, 'evil-c2.example.com');
      assert.deepEqual(idsOf(await alice.get(`/entity/${domain.id}/entry?seen=true`)), [note.id]);
    });

    it('a note on an entity is found by search', async () => {
      const note = await postEntry(alice, 'entity', entityId, { body: '<p>xylophonist infrastructure</p>' });
      const found = await until(alice, '/search?q=xylophonist', (b) => b.totalRecordCount === 1);
      assert.deepEqual([found.records[0].id, found.records[0].target], [note.id, { type: 'entity', id: entityId }]);
    });

    it('each note is read and changed by its own groups; whoever cannot see the entity cannot write on it', async () => {
      const secret = await postEntry(scot().admin, 'entity', entityId, {
        body: '<p>for red eyes</p>',
        groups: { read: ['red'], modify: ['red'] },
      });
      const shared = await postEntry(scot().admin, 'entity', entityId, {
        body: '<p>read by all of ir</p>',
        groups: { read: ['ir'], modify: ['soc'] },
      });
      expectError(await alice.get(`/entry/${secret.id}`), 404);
      const listed = idsOf(await alice.get(`/entity/${entityId}/entry?flat=1`));
      assert.ok(!listed.includes(secret.id) && listed.includes(shared.id));
      expectError(await alice.put(`/entry/${shared.id}`, { body: '<p>mine now</p>' }), 403);
      expectError(await alice.del(`/entry/${shared.id}`), 403);

      // Mallory reads nothing the entity appears in: to her it does not exist.
      const mallory = await scot().user('mallory', ['blue']);
      expectError(await mallory.post('/entry', { target_type: 'entity', target_id: entityId, body: 'x' }), 404);
      expectError(await mallory.get(`/entity/${entityId}/entry`), 404);
      expectError(await mallory.get(`/entity/${entityId}/entry?seen=true`), 404);
      expectError(await alice.post('/entry', { target_type: 'entity', target_id: 999999, body: 'x' }), 404);
    });

    it('refuses a reply to an entry of another object, and a malformed seen, naming the field', async () => {
      expectError(
        await alice.post('/entry', { target_type: 'entity', target_id: entityId, parent: seenIn, body: 'x' }),
        400,
        'parent',
      );
      expectError(await alice.get(`/entity/${entityId}/entry?seen=maybe`), 400, 'seen');
      expectError(await alice.get(`/entity/${entityId}/entry?seen=1&seen=0`), 400, 'seen');
      expectError(await alice.post('/entry', { target_type: 'entities', target_id: entityId, body: 'x' }), 400, 'target_type');
    });
  });
}
