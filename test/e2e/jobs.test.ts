import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { App } from '../../src/app/context.js';
import { enqueue, type JobHandler } from '../../src/app/job.js';
import { Worker } from '../../src/jobs/worker.js';
import { backends } from '../helpers/backend.js';
import { freePort, scotFails, scotOk, Served, sleep, cliDatabase } from '../helpers/cli.js';

async function jobStatus(app: App, id: number): Promise<string | undefined> {
  return (await app.store.db.selectFrom('job').select('status').where('id', '=', id).executeTakeFirst())?.status;
}

/** Waits until job `id` has `status`, as another process makes it so; bounded. */
async function untilStatus(app: App, id: number, status: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await jobStatus(app, id)) !== status) {
    if (Date.now() > deadline) assert.fail(`job ${id} is ${await jobStatus(app, id)}, not ${status}, after ${ms} ms`);
    await sleep(100);
  }
}

for (const backend of await backends()) {
  describe(`scot jobs and serve --role worker (${backend.name})`, { skip: backend.skip, timeout: 120_000 }, () => {
    const database = cliDatabase(backend);
    let app: App;
    let env: NodeJS.ProcessEnv;
    before(() => {
      ({ app, env } = database());
    });

    it('scot jobs shows counts by kind and the latest failures; scot jobs retry makes a dead job due again', async () => {
      const failing: JobHandler = {
        kind: 'mail.poll',
        async handle() {
          throw new Error('IMAP login refused');
        },
      };
      const { id: dead } = await enqueue(app, 'mail.poll', {}, { maxAttempts: 1 });
      await enqueue(app, 'mail.poll', {}, { runAt: app.now() + 3600 });
      await new Worker(app, [failing]).drain();

      const lines = (await scotOk(env, ['jobs'])).split('\n');
      assert.deepEqual(lines[0].split(/\s+/), ['kind', 'pending', 'running', 'failed', 'dead', 'done']);
      assert.deepEqual(lines.find((l) => l.startsWith('mail.poll'))?.split(/\s+/), ['mail.poll', '1', '0', '0', '1', '0']);
      const problem = lines.find((l) => l.startsWith(`${dead} `));
      assert.match(problem ?? '', /mail\.poll\s+dead\s+1\/1\s+\S+Z\s+IMAP login refused$/);

      assert.match(
        await scotOk(env, ['jobs', 'retry', String(dead)]),
        new RegExp(`job ${dead} \\(mail.poll\\) is pending again`),
      );
      assert.equal(await jobStatus(app, dead), 'pending');
      assert.match(await scotFails(env, ['jobs', 'retry', String(dead)]), /is pending; only failed or dead jobs can be retried/);
      assert.match(await scotFails(env, ['jobs', 'retry', '987654']), /job 987654 not found/);
      assert.match(await scotFails(env, ['jobs', 'retry', 'latest']), /must be a number/);
    });

    it('serve --role worker listens on no port, runs the jobs enqueued elsewhere, and stops on SIGTERM', async () => {
      const day = 24 * 3600;
      const doneAgo = async (seconds: number) => {
        const { id } = await enqueue(app, 'report', {});
        await app.store.db
          .updateTable('job')
          .set({ status: 'done', finished: app.now() - seconds })
          .where('id', '=', id)
          .execute();
        return id;
      };
      const [weekOld, dayOld] = [await doneAgo(8 * day), await doneAgo(day)];
      const port = await freePort();
      const worker = new Served({ ...env, SCOT_PORT: String(port), SCOT_HOST: '127.0.0.1' }, ['--role', 'worker']);
      try {
        await worker.waitFor(/SCOT worker is running background jobs, with no HTTP listener/);
        const { id } = await enqueue(app, 'job.prune', {});
        await untilStatus(app, id, 'done');
        assert.deepEqual(
          [await jobStatus(app, weekOld), await jobStatus(app, dayOld)],
          [undefined, 'done'],
          'the prune job deletes done jobs older than a week',
        );
        await assert.rejects(fetch(`http://127.0.0.1:${port}/scot/api/v2/health`), 'nothing listens');
        assert.doesNotMatch(worker.stdout, /listening/);
        assert.deepEqual(await worker.stop(), { code: 0, signal: null });
      } finally {
        await worker.stop().catch(() => {});
      }
    });

    it('serve in its default role, all, answers HTTP and runs jobs in the same process', async () => {
      const port = await freePort();
      const server = new Served({ ...env, SCOT_PORT: String(port), SCOT_HOST: '127.0.0.1' });
      try {
        await server.waitFor(/SCOT is listening on/);
        const { id } = await enqueue(app, 'job.prune', {});
        await untilStatus(app, id, 'done');
        assert.equal((await fetch(`http://127.0.0.1:${port}/scot/api/v2/health`)).status, 200);
        assert.deepEqual(await server.stop(), { code: 0, signal: null });
      } finally {
        await server.stop().catch(() => {});
      }
    });
  });
}
