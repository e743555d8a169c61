import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp, type App } from '../../src/app/context.js';
import { enqueue, JOB_CHANNEL, jobsOverview, retryJob, type JobHandler, type JobRecord } from '../../src/app/job.js';
import { inTransaction } from '../../src/app/unit.js';
import { Worker } from '../../src/jobs/worker.js';
import { openStore } from '../../src/store/index.js';
import { claimJobs } from '../../src/store/job.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, as, changesOf, rejectsWith, T0, useFixture } from '../helpers/store.js';

/** The stored row of job `id`. */
async function jobRow(app: App, id: number) {
  const row = await app.store.db.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return {
    ...row,
    run_at: Number(row.run_at),
    lease_until: row.lease_until === null ? null : Number(row.lease_until),
    finished: row.finished === null ? null : Number(row.finished),
  };
}

/** A handler of `kind` that records each job it runs and then does `work`. */
function recorder(kind: string, work: (job: JobRecord) => Promise<void> = async () => {}, extra: Partial<JobHandler> = {}) {
  const ran: JobRecord[] = [];
  const handler: JobHandler = {
    kind,
    async handle(job) {
      ran.push(job);
      await work(job);
    },
    ...extra,
  };
  return { ran, handler };
}

/** A promise the test resolves when it chooses: a job that runs until the test lets it end. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);

    it('an enqueued job runs once with its payload and is stored as done with its progress', async () => {
      const { app, clock } = fixture();
      const handler: JobHandler = {
        kind: 'test.done',
        async handle(job, { progress }) {
          assert.deepEqual(job.payload, { entity: 'ip', ids: [1, 2] });
          await progress(2, 2);
        },
      };
      const { id, created } = await enqueue(app, 'test.done', { entity: 'ip', ids: [1, 2] });
      assert.equal(created, true);
      clock.now = T0 + 5;
      assert.equal(await new Worker(app, [handler]).drain(), 1);
      const row = await jobRow(app, id);
      assert.deepEqual(
        [row.status, row.attempts, row.finished, row.lease_owner, row.progress_done, row.progress_total],
        ['done', 1, T0 + 5, null, 2, 2],
      );
    });

    it('a job enqueued in a use case that rolls back is never stored; one that commits is', async () => {
      const { app } = fixture();
      await assert.rejects(
        inTransaction(app, ADMIN, async (unit) => {
          await enqueue(unit, 'test.atomic', { n: 1 });
          throw new Error('the use case fails after enqueueing');
        }),
        /fails after enqueueing/,
      );
      const { id } = await inTransaction(app, ADMIN, (unit) => enqueue(unit, 'test.atomic', { n: 2 }));
      const rows = await app.store.db.selectFrom('job').select(['id', 'payload']).where('kind', '=', 'test.atomic').execute();
      assert.deepEqual(
        rows.map((r) => [Number(r.id), JSON.parse(r.payload)]),
        [[id, { n: 2 }]],
      );
    });

    it('a keyed job is enqueued once while it is still to run, and again once it is done', async () => {
      const { app } = fixture();
      const first = await enqueue(app, 'test.keyed', { type: 'ip' }, { key: 'reflair:ip' });
      const again = await enqueue(app, 'test.keyed', { type: 'ip' }, { key: 'reflair:ip' });
      assert.deepEqual(again, { id: first.id, created: false });
      const { ran, handler } = recorder('test.keyed');
      await new Worker(app, [handler]).drain();
      assert.equal(ran.length, 1);
      const later = await enqueue(app, 'test.keyed', { type: 'ip' }, { key: 'reflair:ip' });
      assert.equal(later.created, true);
      assert.notEqual(later.id, first.id);
    });

    it('a failing job is retried with growing backoff, then dead with its last error', async () => {
      const { app, clock } = fixture();
      clock.now = T0;
      let tries = 0;
      const { handler } = recorder('test.flaky', async () => {
        tries++;
        throw new Error(`mail server refused (try ${tries})`);
      });
      const worker = new Worker(app, [handler]);
      const { id } = await enqueue(app, 'test.flaky', {}, { maxAttempts: 3 });

      await worker.drain();
      let row = await jobRow(app, id);
      assert.deepEqual([row.status, row.attempts, row.last_error], ['failed', 1, 'mail server refused (try 1)']);
      assert.ok(row.run_at >= T0 + 10 && row.run_at <= T0 + 12, `first retry 10 s later (plus jitter), got +${row.run_at - T0}`);
      clock.now = row.run_at - 1;
      assert.equal(await worker.drain(), 0, 'not retried before its time');

      clock.now = row.run_at;
      await worker.drain();
      const secondAt = clock.now;
      row = await jobRow(app, id);
      assert.deepEqual([row.status, row.attempts], ['failed', 2]);
      assert.ok(
        row.run_at >= secondAt + 20 && row.run_at <= secondAt + 25,
        `second retry 20 s later (plus jitter), got +${row.run_at - secondAt}`,
      );

      clock.now = row.run_at;
      await worker.drain();
      row = await jobRow(app, id);
      assert.deepEqual(
        [row.status, row.attempts, row.last_error, row.finished],
        ['dead', 3, 'mail server refused (try 3)', clock.now],
      );
      clock.now += 24 * 3600;
      assert.equal(await worker.drain(), 0, 'a dead job is never run again by itself');
      assert.equal(tries, 3);
    });

    it('the job of a killed worker runs again once its lease expires, and no sooner', async () => {
      const { app, clock } = fixture();
      clock.now = T0;
      const { id } = await enqueue(app, 'test.orphan', { n: 1 });
      // A worker claims the job and is killed: it never renews its lease nor ends the job.
      const [claimed] = await claimJobs(app.store.db, app.store.rules, {
        kind: 'test.orphan',
        owner: 'killed',
        now: T0,
        leaseUntil: T0 + 60,
        limit: 1,
      });
      assert.equal(Number(claimed.id), id);

      const { ran, handler } = recorder('test.orphan');
      const survivor = new Worker(app, [handler], { leaseSeconds: 60 });
      clock.now = T0 + 60;
      assert.equal(await survivor.drain(), 0, 'the lease still holds');
      clock.now = T0 + 61;
      assert.equal(await survivor.drain(), 1);
      const row = await jobRow(app, id);
      assert.deepEqual([ran.map((j) => j.id), row.status, row.attempts], [[id], 'done', 2]);
    });

    it('a job whose worker is killed on its last attempt is dead, not run again', async () => {
      const { app, clock } = fixture();
      clock.now = T0;
      const { id } = await enqueue(app, 'test.poison', {}, { maxAttempts: 1 });
      await claimJobs(app.store.db, app.store.rules, {
        kind: 'test.poison',
        owner: 'killed',
        now: T0,
        leaseUntil: T0 + 60,
        limit: 1,
      });
      clock.now = T0 + 61;
      const { ran, handler } = recorder('test.poison');
      await new Worker(app, [handler]).drain();
      const row = await jobRow(app, id);
      assert.deepEqual([ran.length, row.status, row.finished], [0, 'dead', T0 + 61]);
      assert.match(row.last_error ?? '', /lease expired/);
    });

    it('two workers on their own connections share many jobs and run each exactly once', async () => {
      const { app, url } = fixture();
      const ids = new Set<number>();
      for (let i = 0; i < 120; i++) ids.add((await enqueue(app, 'test.shared', { i })).id);
      const otherStore = await openStore(url);
      try {
        const other = createApp(otherStore, app.config);
        other.now = app.now;
        const runs = new Map<number, string[]>();
        const handlerFor = (name: string): JobHandler => ({
          kind: 'test.shared',
          concurrency: 4,
          async handle(job) {
            runs.set(job.id, [...(runs.get(job.id) ?? []), name]);
            // Let the other worker's queries interleave with this job.
            await new Promise((resolve) => setImmediate(resolve));
          },
        });
        const [a, b] = await Promise.all([
          new Worker(app, [handlerFor('a')]).drain(),
          new Worker(other, [handlerFor('b')]).drain(),
        ]);
        assert.equal(a + b, 120);
        assert.deepEqual(
          [...runs.keys()].sort((x, y) => x - y),
          [...ids].sort((x, y) => x - y),
        );
        assert.deepEqual(
          [...runs.values()].filter((who) => who.length !== 1),
          [],
          'no job ran twice',
        );
        assert.ok(a > 0 && b > 0, `both workers took jobs (a ran ${a}, b ran ${b})`);
        const statuses = await app.store.db
          .selectFrom('job')
          .select('status')
          .distinct()
          .where('kind', '=', 'test.shared')
          .execute();
        assert.deepEqual(
          statuses.map((s) => s.status),
          ['done'],
        );
      } finally {
        await otherStore.close();
      }
    });

    it('a job enqueued on one node is heard on every node listening, once its transaction commits', {
      skip: backend.name === 'sqlite' && 'one machine: in-process wake-ups only',
    }, async () => {
      const { app } = fixture();
      const heard: string[] = [];
      let first!: () => void;
      const heardOne = new Promise<void>((resolve) => (first = resolve));
      const stop = await app.store.listen!(JOB_CHANNEL, {
        heard: (kind) => {
          heard.push(kind);
          first();
        },
      });
      try {
        await inTransaction(app, ADMIN, (unit) => enqueue(unit, 'test.heard', {}));
        const late = new Promise((resolve) => setTimeout(() => resolve('not heard'), 10_000).unref());
        assert.equal(await Promise.race([heardOne.then(() => 'heard'), late]), 'heard');
        assert.deepEqual(heard, ['test.heard']);
      } finally {
        await stop?.();
      }
    });

    it('a worker runs at most `concurrency` jobs of a kind at once, and other kinds beside them', async () => {
      const { app } = fixture();
      const slow = gate();
      const { ran: slowRan, handler: slowHandler } = recorder('test.slow', () => slow.opened, { concurrency: 2 });
      const { ran: fastRan, handler: fastHandler } = recorder('test.fast');
      for (let i = 0; i < 5; i++) await enqueue(app, 'test.slow', { i });
      const worker = new Worker(app, [slowHandler, fastHandler]);
      assert.equal(await worker.poll(), 2);
      assert.equal(await worker.poll(), 0, 'both slots of the kind are busy');
      const running = await app.store.db
        .selectFrom('job')
        .select('id')
        .where('kind', '=', 'test.slow')
        .where('status', '=', 'running')
        .execute();
      assert.equal(running.length, 2);
      await enqueue(app, 'test.fast', {});
      assert.equal(await worker.poll(), 1, 'another kind still runs');
      slow.open();
      await worker.idle();
      await worker.drain();
      assert.deepEqual([slowRan.map((j) => (j.payload as { i: number }).i), fastRan.length], [[0, 1, 2, 3, 4], 1]);
    });

    it('a worker renews the lease of each job while it runs, also after earlier jobs have ended', async () => {
      const { app, clock } = fixture();
      clock.now = T0;
      const long = gate();
      const { handler } = recorder(
        'test.renew',
        (job) => ((job.payload as { wait: boolean }).wait ? long.opened : Promise.resolve()),
        { concurrency: 1 },
      );
      const worker = new Worker(app, [handler], { leaseSeconds: 1 });
      await enqueue(app, 'test.renew', { wait: false });
      await worker.drain();
      const { id } = await enqueue(app, 'test.renew', { wait: true });
      assert.equal(await worker.poll(), 1);
      clock.now = T0 + 100;
      // The renewal runs on a timer every third of the lease: wait for its write, boundedly.
      for (let i = 0; i < 100 && (await jobRow(app, id)).lease_until !== T0 + 101; i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal((await jobRow(app, id)).lease_until, T0 + 101);
      long.open();
      await worker.idle();
      assert.equal((await jobRow(app, id)).status, 'done');
    });

    it('a job that outlives its timeout fails with a timeout error', async () => {
      const { app } = fixture();
      const handler: JobHandler = {
        kind: 'test.hang',
        timeoutMs: 20,
        handle: (_job, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      };
      const { id } = await enqueue(app, 'test.hang', {});
      await new Worker(app, [handler]).drain();
      const row = await jobRow(app, id);
      assert.deepEqual([row.status, row.last_error], ['failed', 'timed out after 20 ms']);
    });

    it('a stopping worker hands a job it cannot finish back to the queue, attempt uncounted', async () => {
      const { app } = fixture();
      let aborted: unknown;
      const handler: JobHandler = {
        kind: 'test.long',
        handle: (_job, { signal }) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => {
              aborted = signal.reason;
              reject(signal.reason);
            }),
          ),
      };
      const { id } = await enqueue(app, 'test.long', {});
      const worker = new Worker(app, [handler], { graceMs: 0 });
      assert.equal(await worker.poll(), 1);
      await worker.stop();
      const row = await jobRow(app, id);
      assert.deepEqual([row.status, row.attempts, row.lease_owner], ['pending', 0, null]);
      assert.match(String(aborted), /stopping/);
    });

    it('an admin retries a dead job: it is due at once with all its attempts, and history says who', async () => {
      const { app, clock } = fixture();
      const { handler } = recorder('test.retry', async () => {
        throw new Error('disk full');
      });
      const { id } = await enqueue(app, 'test.retry', {}, { maxAttempts: 1 });
      await new Worker(app, [handler]).drain();
      assert.equal((await jobRow(app, id)).status, 'dead');
      const overview = await jobsOverview(app, ADMIN);
      assert.deepEqual(
        overview.queues.find((q) => q.kind === 'test.retry'),
        { kind: 'test.retry', pending: 0, running: 0, failed: 0, dead: 1, done: 0 },
      );
      assert.deepEqual(overview.problems.find((j) => j.id === id)?.last_error, 'disk full');

      clock.now += 100;
      const retried = await retryJob(app, ADMIN, id);
      assert.deepEqual([retried.status, retried.attempts, retried.run_at, retried.finished], ['pending', 0, clock.now, null]);
      assert.deepEqual(
        (await changesOf(app, 'job', id)).map((c) => [c.action, c.who, c.diff]),
        [['retry', 'admin', { status: ['dead', 'pending'] }]],
      );
      await rejectsWith(retryJob(app, ADMIN, id), 409);
      await rejectsWith(retryJob(app, ADMIN, 999_999), 404);
      await rejectsWith(retryJob(app, as('alice'), id), 403);
      await rejectsWith(jobsOverview(app, as('alice')), 403);
    });
  });
}
