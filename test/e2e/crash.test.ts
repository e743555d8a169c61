import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createApp, type App } from '../../src/app/context.js';
import { enqueue, type JobRecord } from '../../src/app/job.js';
import { CursorReader } from '../../src/jobs/consumer.js';
import { Worker } from '../../src/jobs/worker.js';
import { appendChanges } from '../../src/store/change.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends } from '../helpers/backend.js';
import { sleep } from '../helpers/cli.js';
import { testConfig } from '../helpers/store.js';

/** Starts test/helpers/crash.ts in `mode`, waits until it is busy, and kills it with SIGKILL. */
async function killWhenBusy(url: string, dataDir: string, mode: 'worker' | 'consumer'): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/crash.ts', url, dataDir, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const busy = new Promise<void>((resolve) => child.stdout.on('data', (d) => String(d).includes('busy') && resolve()));
  const slow = new Promise((resolve) => setTimeout(() => resolve('slow'), 30_000).unref());
  const outcome = await Promise.race([busy.then(() => 'busy'), exited.then(() => 'exited'), slow]);
  child.kill('SIGKILL');
  await exited;
  assert.equal(outcome, 'busy', `the ${mode} never got busy: ${stderr}`);
}

/** Calls `attempt` until it answers true; bounded. */
async function eventually(attempt: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await attempt())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await sleep(100);
  }
}

for (const backend of await backends()) {
  describe(`kill -9 mid-work (${backend.name})`, { skip: backend.skip, timeout: 120_000 }, () => {
    let database: Awaited<ReturnType<typeof backend.create>>;
    let store: Store;
    let app: App;
    before(async () => {
      database = await backend.create();
      store = await openStore(database.url);
      app = createApp(store, testConfig(database.dataDir, database.url));
    });
    after(async () => {
      await store?.close();
      await database?.dispose();
    });

    it('killing the worker mid-job and starting another loses no job', async () => {
      const { id } = await enqueue(app, 'test.crash', { report: 'weekly' });
      await killWhenBusy(database.url, database.dataDir, 'worker');
      const ran: JobRecord[] = [];
      const successor = new Worker(app, [{ kind: 'test.crash', handle: async (job) => void ran.push(job) }], { leaseSeconds: 1 });
      await eventually(async () => (await successor.drain()) > 0, 'the job running again');
      const row = await app.store.db
        .selectFrom('job')
        .select(['status', 'attempts'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.deepEqual([ran.map((j) => [j.id, j.payload]), row.status, row.attempts], [[[id, { report: 'weekly' }]], 'done', 2]);
    });

    it('a consumer killed mid-batch resumes from its cursor: nothing missing, nothing twice', async () => {
      await sql`create table derived (consumer text not null, seq bigint not null, primary key (consumer, seq))`.execute(
        store.db,
      );
      const seqs = await appendChanges(
        store.db,
        Array.from({ length: 25 }, (_, i) => ({
          at: app.now(),
          who: 'alice',
          type: 'event',
          target_id: i + 1,
          action: 'update',
          diff: {},
        })),
      );
      await killWhenBusy(database.url, database.dataDir, 'consumer');
      const derived = async () =>
        (await sql<{ seq: number }>`select seq from derived order by seq`.execute(store.db)).rows.map((r) => Number(r.seq));
      assert.deepEqual(await derived(), [], 'the killed batch left nothing');

      const reader = new CursorReader(app, {
        name: 'crash',
        batchSize: 10,
        async handle(unit, batch) {
          for (const change of batch)
            await sql`insert into derived (consumer, seq) values ('crash', ${change.seq})`.execute(unit.db);
        },
      });
      await eventually(async () => (await reader.step()) !== undefined, "the dead process's lease expiring");
      await eventually(async () => (await reader.step()) === 0, 'catching up');
      assert.deepEqual(await derived(), seqs);
    });
  });
}
