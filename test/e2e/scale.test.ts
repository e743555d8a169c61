import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { createApp, type App } from '../../src/app/context.js';
import { enqueue } from '../../src/app/job.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends } from '../helpers/backend.js';
import { freePort, Served, sleep, userEnv } from '../helpers/cli.js';
import { expectWritten, postAlertgroup, postEvent } from '../helpers/e2e.js';
import { Client } from '../helpers/server.js';
import { testConfig } from '../helpers/store.js';
import { openStream } from '../helpers/stream.js';

const ADMIN_PASSWORD = 'scale-test-admin-password';

/** The statuses of jobs `ids`, once none is still to run; bounded. */
async function finished(app: App, ids: number[], ms = 30_000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = await app.store.db.selectFrom('job').select(['id', 'status']).where('id', 'in', ids).orderBy('id').execute();
    if (rows.every((r) => r.status === 'done' || r.status === 'dead')) return rows.map((r) => r.status);
    if (Date.now() > deadline) assert.fail(`jobs still to run after ${ms} ms: ${JSON.stringify(rows)}`);
    await sleep(100);
  }
}

/** The record at `path` once flair has caught up with it; polls the API, bounded. */
async function flaired(client: Client, path: string, ms = 30_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const reply = await client.get(path);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    if (reply.body.flair === 'done') return reply.body;
    if (Date.now() > deadline) assert.fail(`${path} was not flaired within ${ms} ms`);
    await sleep(100);
  }
}

/** Who holds the flair consumer's cursor: `<host>:<pid>:consumer:<random>`. */
async function flairOwner(store: Store): Promise<string | null | undefined> {
  return (await store.db.selectFrom('cursor').select('lease_owner').where('name', '=', 'flair').executeTakeFirst())?.lease_owner;
}

const postgres = (await backends()).find((b) => b.name === 'postgres')!;

describe('two api nodes and a worker on one PostgreSQL database', { skip: postgres.skip, timeout: 180_000 }, () => {
  let database: Awaited<ReturnType<typeof postgres.create>>;
  let store: Store;
  let app: App;
  let env: NodeJS.ProcessEnv;
  const nodes: Served[] = [];
  let nodeA: Client;
  let nodeB: Client;

  /** Starts `scot serve --role <role>` on a port of its own; the API base URL for an api node. */
  async function start(role: 'api' | 'worker'): Promise<{ node: Served; base?: string }> {
    const node = new Served({ ...env, SCOT_PORT: String(await freePort()), SCOT_HOST: '127.0.0.1' }, ['--role', role]);
    nodes.push(node);
    if (role === 'worker') {
      await node.waitFor(/SCOT worker is running background jobs/);
      return { node };
    }
    return { node, base: (await node.waitFor(/SCOT is listening on (\S+)/))[1] };
  }

  async function signIn(base: string): Promise<Client> {
    const res = await new Client(base).post('/login', { username: 'admin', password: ADMIN_PASSWORD });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return new Client(base, {
      cookie: res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; '),
    });
  }

  before(async () => {
    database = await postgres.create();
    env = userEnv({ SCOT_DATA_DIR: database.dataDir, SCOT_DATABASE_URL: database.url, SCOT_ADMIN_PASSWORD: ADMIN_PASSWORD });
    // The first node migrates the database and creates the admin; the others find both done.
    nodeA = await signIn((await start('api')).base!);
    nodeB = await signIn((await start('api')).base!);
    await start('worker');
    store = await openStore(database.url);
    app = createApp(store, testConfig(database.dataDir, database.url));
  });
  after(async () => {
    for (const node of nodes) await node.stop().catch(() => {});
    await store?.close();
    await database?.dispose();
  });

  it('a change made through node A reaches a stream client on node B within a second, and the other way round', async () => {
    const onB = await openStream(nodeB);
    const onA = await openStream(nodeA);
    const event = await postEvent(nodeA, { subject: 'made on A' });
    const madeAt = Date.now();
    await onB.waitFor((m) => m.type === 'event' && m.id === event.id, 1, 1000);
    assert.ok(Date.now() - madeAt < 1000);
    const group = await postAlertgroup(nodeB, { subject: 'posted to B', data: [{ src_ip: '10.20.30.40', note: 'seen' }] });
    const postedAt = Date.now();
    const [notice] = await onA.waitFor((m) => m.type === 'alertgroup' && m.id === group.id, 1, 1000);
    assert.ok(Date.now() - postedAt < 1000);
    assert.deepEqual(notice.summary, { subject: 'posted to B' });
    // The api nodes run no background work: the worker flairs what node B took in, and node A shows it.
    const alert = await flaired(nodeA, `/alert/${group.alerts[0]}`);
    assert.match(alert.data_with_flair.src_ip, /data-entity-type="ipaddr" data-entity-value="10\.20\.30\.40"/);
    const worker = nodes.find((n) => n.stdout.includes('SCOT worker'))!;
    assert.match((await flairOwner(store)) ?? '', new RegExp(`^${os.hostname()}:${worker.child.pid}:consumer:`));
    onA.close();
    onB.close();
  });

  it('viewers of one object through different nodes see each other, and who edits which entry', async () => {
    const event = await postEvent(nodeA, { subject: 'viewed on two nodes' });
    const entry = expectWritten(
      await nodeB.post('/entry', { target_type: 'event', target_id: event.id, body: '<p>draft</p>' }),
      201,
    );
    const onA = await openStream(nodeA);
    const onB = await openStream(nodeB);
    onA.send({ viewing: { type: 'event', id: event.id } });
    await onA.waitFor((m) => m.presence?.viewers.length === 1);
    onB.send({ viewing: { type: 'event', id: event.id } });
    onB.send({ editing: { type: 'entry', id: entry.id } });
    const both = [
      { username: 'admin', editing: null },
      { username: 'admin', editing: entry.id },
    ];
    await onA.waitFor((m) => JSON.stringify(m.presence?.viewers) === JSON.stringify(both));
    await onB.waitFor((m) => JSON.stringify(m.presence?.viewers) === JSON.stringify(both));
    onB.close();
    await onA.waitFor((m) => JSON.stringify(m.presence?.viewers) === JSON.stringify([{ username: 'admin', editing: null }]), 2);
    onA.close();
  });

  it('a reconnecting client resumes with since on the other node, missing nothing', async () => {
    const onA = await openStream(nodeA);
    const first = await postEvent(nodeA, { subject: 'before the restart' });
    const [seen] = await onA.waitFor((m) => m.type === 'event' && m.id === first.id);
    onA.close();
    const missed = await postEvent(nodeA, { subject: 'while away' });
    const onB = await openStream(nodeB, `?since=${seen.seq}`);
    const [replayed] = await onB.waitFor((m) => m.type === 'event' && m.id === missed.id);
    assert.deepEqual(replayed.summary, { subject: 'while away' });
    onB.close();
  });

  it('the worker runs jobs enqueued elsewhere; killing it and starting another loses no job', async () => {
    const before = await Promise.all([1, 2, 3].map(async () => (await enqueue(app, 'job.prune', {})).id));
    assert.deepEqual(await finished(app, before), ['done', 'done', 'done']);
    const worker = nodes.find((n) => n.stdout.includes('SCOT worker'))!;
    worker.child.kill('SIGKILL');
    await worker.stop();
    const whileDown = await Promise.all([1, 2, 3].map(async () => (await enqueue(app, 'job.prune', {})).id));
    const postedWhileDown = await postAlertgroup(nodeB, { data: [{ host: 'evil.example.com' }] });
    // The cursor the killed worker's flair held: its lease ran out, as it does 30 s after a kill.
    await store.db
      .updateTable('cursor')
      .set({ lease_until: app.now() - 1 })
      .where('name', '=', 'flair')
      .execute();
    // A job the killed worker held when it died: its lease ran out, as it does a minute after a kill.
    const held = (await enqueue(app, 'job.prune', {})).id;
    await store.db
      .updateTable('job')
      .set({ status: 'running', lease_owner: 'killed-worker', lease_until: app.now() - 1, attempts: 1 })
      .where('id', '=', held)
      .execute();
    const next = (await start('worker')).node;
    assert.deepEqual(await finished(app, [...whileDown, held]), ['done', 'done', 'done', 'done']);
    const alert = await flaired(nodeA, `/alert/${postedWhileDown.alerts[0]}`);
    assert.match(alert.data_with_flair.host, /data-entity-value="evil\.example\.com"/);
    assert.match((await flairOwner(store)) ?? '', new RegExp(`^${os.hostname()}:${next.child.pid}:consumer:`));
  });
});
