import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { enqueue, JOB_CHANNEL } from '../../src/app/job.js';
import { createCase } from '../../src/app/object.js';
import { createUser } from '../../src/app/user.js';
import type { Principal } from '../../src/domain/principal.js';
import { StreamHub, STREAM_CLOSE, type Subscriber } from '../../src/app/stream.js';
import { changesAfter } from '../../src/store/change.js';
import { decodeSeqs, encodeSeqs, LISTENER_NAME } from '../../src/store/listen.js';
import { backends } from '../helpers/backend.js';
import { sleep } from '../helpers/cli.js';
import { ADMIN, useFixture } from '../helpers/store.js';

/** A client whose queued bytes the test sets, and which keeps what it was sent and how it was closed. */
class FakeClient implements Subscriber {
  readonly sent: any[] = [];
  queued = 0;
  closedWith?: { code: number; reason: string };
  private wake: () => void = () => {};

  constructor(readonly who: Principal = ADMIN) {}

  /** Keeps each notice of a `{"notices": [...]}` frame, and any other message as it came. */
  send(message: string | Buffer) {
    const parsed = JSON.parse(message.toString());
    this.sent.push(...(Array.isArray(parsed.notices) ? parsed.notices : [parsed]));
    this.wake();
  }
  buffered() {
    return this.queued;
  }
  close(code: number, reason: string) {
    this.closedWith = { code, reason };
    this.wake();
  }
  /** Waits until `done` holds; every send and close looks again; fails after `ms`. */
  async until(done: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`the stream did not get there in ${ms} ms; sent ${JSON.stringify(this.sent)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

describe('change announcements', () => {
  it('name a commit of 12,000 consecutive changes in one short payload', () => {
    const seqs = Array.from({ length: 12_000 }, (_, i) => 501 + i);
    assert.deepEqual(encodeSeqs(seqs), ['501-12500']);
    assert.deepEqual(decodeSeqs('501-12500'), seqs);
  });

  it('split scattered seqs into payloads under PostgreSQL NOTIFY limit of 8000 bytes, losing none', () => {
    const seqs = Array.from({ length: 5000 }, (_, i) => 1_000_000 + i * 3);
    const payloads = encodeSeqs(seqs);
    assert.ok(payloads.length > 1);
    for (const payload of payloads) assert.ok(Buffer.byteLength(payload) < 8000);
    assert.deepEqual(payloads.flatMap(decodeSeqs), seqs);
  });
});

for (const backend of await backends()) {
  describe(`the stream hub (${backend.name})`, { skip: backend.skip, timeout: 60_000 }, () => {
    const fixture = useFixture(backend);
    let hub: StreamHub;
    before(async () => {
      hub = new StreamHub(fixture().app, { maxBufferedBytes: 1000, replayLimit: 3 });
      await hub.start();
    });
    after(async () => hub.stop());

    it('disconnects a client with more bytes waiting than the bound, instead of queueing more for it', async () => {
      const client = new FakeClient();
      await hub.connect(client);
      const first = await createCase(fixture().app, ADMIN, 'event', { subject: 'read in time' });
      await client.until(() => client.sent.some((m) => m.id === first.id));
      client.queued = 5000;
      await createCase(fixture().app, ADMIN, 'event', { subject: 'never queued' });
      await client.until(() => client.closedWith !== undefined);
      assert.equal(client.closedWith!.code, STREAM_CLOSE.slow);
      assert.match(client.closedWith!.reason, /too slow: more than 1000 bytes/);
      assert.deepEqual(
        client.sent.map((m) => m.summary.subject),
        ['read in time'],
      );
    });

    it('keeps a client that connected before the hub heard of its own user being made, and tells it what it may read', async () => {
      const user = await createUser(fixture().app, ADMIN, { username: 'newcomer', groups: ['red'] });
      // Connected in the same turn as the commit: the hub hears of the user's creation only afterwards.
      const client = new FakeClient({ userId: user.id, username: 'newcomer', groups: ['red'], admin: false });
      await hub.connect(client);
      const event = await createCase(fixture().app, ADMIN, 'event', {
        subject: 'for red',
        groups: { read: ['red'], modify: ['red'] },
      });
      await client.until(() => client.sent.some((m) => m.type === 'event' && m.id === event.id));
      assert.equal(client.closedWith, undefined);
      hub.disconnect(client);
    });

    it('tells each client exactly what its groups may read, clients with the same groups in any order the same', async () => {
      const as = (username: string, groups: string[]) => new FakeClient({ userId: 0, username, groups, admin: false });
      const red = as('red-only', ['red']);
      const blue = as('blue-only', ['blue']);
      const both = as('both', ['red', 'blue']);
      const bothReversed = as('both-reversed', ['blue', 'red', 'blue']);
      const clients = [red, blue, both, bothReversed];
      for (const client of clients) await hub.connect(client);
      // Made one after the other, within one frame interval or not: the last one every client may read.
      for (const read of [['red'], ['blue'], ['red'], ['green'], ['red', 'blue']]) {
        await createCase(fixture().app, ADMIN, 'event', { subject: read.join(' '), groups: { read, modify: read } });
      }
      const subjects = (client: FakeClient) => client.sent.filter((m) => m.type === 'event').map((m) => m.summary.subject);
      for (const client of clients) await client.until(() => subjects(client).includes('red blue'));
      assert.deepEqual(subjects(red), ['red', 'red', 'red blue']);
      assert.deepEqual(subjects(blue), ['blue', 'red blue']);
      assert.deepEqual(subjects(both), ['red', 'blue', 'red', 'red blue']);
      assert.deepEqual(bothReversed.sent, both.sent);
      for (const client of clients) hub.disconnect(client);
    });

    it('closes a client whose since is further back than the replay limit, naming the limit', async () => {
      const start = (await changesAfter(fixture().store.db, 0, 10_000)).at(-1)?.seq ?? 0;
      for (const n of [1, 2, 3, 4]) await createCase(fixture().app, ADMIN, 'event', { subject: `missed ${n}` });
      const client = new FakeClient();
      await hub.connect(client, start);
      assert.equal(client.closedWith?.code, STREAM_CLOSE.tooFarBehind);
      assert.match(client.closedWith!.reason, new RegExp(`more than 3 changes since ${start}; reload`));
      const near = new FakeClient();
      await hub.connect(near, start + 2);
      assert.deepEqual(
        near.sent.map((m) => m.summary.subject),
        ['missed 3', 'missed 4'],
      );
      hub.disconnect(near);
    });

    it('sends a client that connected with since none of the changes up to it, though they are heard live after its replay', async () => {
      // A slow frame: the changes after the first are published only once the replay below is over.
      const slow = new StreamHub(fixture().app, { frameIntervalMs: 400 });
      await slow.start();
      try {
        await createCase(fixture().app, ADMIN, 'event', { subject: 'opens a frame' });
        await createCase(fixture().app, ADMIN, 'event', { subject: 'had 1' });
        const had = await createCase(fixture().app, ADMIN, 'event', { subject: 'had 2' });
        await createCase(fixture().app, ADMIN, 'event', { subject: 'missed' });
        const changes = await changesAfter(fixture().store.db, 0, 10_000);
        const since = changes.find((c) => c.type === 'event' && c.target_id === had.id)!.seq;
        const client = new FakeClient();
        await slow.connect(client, since);
        await createCase(fixture().app, ADMIN, 'event', { subject: 'live' });
        const subjects = () => client.sent.filter((m) => m.type === 'event').map((m) => m.summary.subject);
        await client.until(() => subjects().includes('live'));
        assert.deepEqual(subjects(), ['missed', 'live']);
      } finally {
        await slow.stop();
      }
    });
  });
}

const postgres = (await backends()).find((b) => b.name === 'postgres')!;

describe('the listening connection (postgres)', { skip: postgres.skip, timeout: 60_000 }, () => {
  const fixture = useFixture(postgres);

  /** The pids of this database's listening connections, once `done` holds of them; bounded. */
  async function listeners(done: (pids: number[]) => boolean): Promise<number[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await sql<{ pid: number }>`
        select pid from pg_stat_activity where application_name = ${LISTENER_NAME} and datname = current_database()`.execute(
        fixture().store.db,
      );
      const pids = rows.map((r) => r.pid);
      if (done(pids)) return pids;
      if (Date.now() > deadline) assert.fail(`listening connections: ${JSON.stringify(pids)}`);
      await sleep(50);
    }
  }

  it('is one for the stream and the jobs of a process, heard again by both after it was lost, closed after the last', async () => {
    const { app, store } = fixture();
    const hub = new StreamHub(app);
    await hub.start();
    const kinds: string[] = [];
    const stopJobs = await store.listen!(JOB_CHANNEL, { heard: (kind) => kinds.push(kind) });
    const [first] = await listeners((pids) => pids.length === 1);
    await sql`select pg_terminate_backend(${first})`.execute(store.db);
    const [second] = await listeners((pids) => pids.length === 1 && pids[0] !== first);
    assert.notEqual(second, first);
    const client = new FakeClient();
    await hub.connect(client);
    const event = await createCase(app, ADMIN, 'event', { subject: 'after the connection was lost' });
    await client.until(() => client.sent.some((m) => m.type === 'event' && m.id === event.id));
    await enqueue(app, 'test.heard', {});
    const deadline = Date.now() + 10_000;
    while (!kinds.includes('test.heard') && Date.now() < deadline) await sleep(20);
    assert.deepEqual(kinds, ['test.heard']);
    await hub.stop();
    await listeners((pids) => pids.length === 1);
    await stopJobs();
    await listeners((pids) => pids.length === 0);
  });
});
