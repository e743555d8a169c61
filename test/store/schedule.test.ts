import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp, type App } from '../../src/app/context.js';
import { Scheduler } from '../../src/jobs/schedule.js';
import { openStore } from '../../src/store/index.js';
import { backends } from '../helpers/backend.js';
import { useFixture } from '../helpers/store.js';

/** Epoch seconds of a UTC time. */
const utc = (iso: string) => Date.parse(iso) / 1000;

const BACKUPS = { name: 'backup', cron: '0 3,12,20 * * *', kind: 'backup', payload: { keepDays: 7 } };

/** The backup jobs enqueued so far: their keys and payloads. */
async function backupJobs(app: App) {
  const rows = await app.store.db
    .selectFrom('job')
    .select(['key', 'payload', 'run_at'])
    .where('kind', '=', 'backup')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ key: r.key, payload: JSON.parse(r.payload), run_at: Number(r.run_at) }));
}

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);

    it('two nodes running the scheduler enqueue one backup per due time, in UTC', async () => {
      const { app, url, clock } = fixture();
      const otherStore = await openStore(url);
      try {
        const other = createApp(otherStore, app.config);
        other.now = app.now;
        const nodes = [new Scheduler(app, [BACKUPS]), new Scheduler(other, [BACKUPS])];
        // Side by side on PostgreSQL. SQLite's connections in one process would wait on each other's
        // open transaction synchronously, blocking the thread that could end it: they take turns.
        const tickAll = async () => {
          if (!app.store.rules.singleWriter) return (await Promise.all(nodes.map((n) => n.tick()))).reduce((a, b) => a + b, 0);
          let enqueued = 0;
          for (const node of nodes) enqueued += await node.tick();
          return enqueued;
        };

        clock.now = utc('2026-11-24T02:59:00Z');
        assert.equal(await tickAll(), 0, 'nothing is due before 03:00');
        clock.now = utc('2026-11-24T03:00:00Z');
        assert.equal(await tickAll(), 1);
        clock.now = utc('2026-11-24T03:00:30Z');
        assert.equal(await tickAll(), 0, 'the 03:00 backup is enqueued once');
        clock.now = utc('2026-11-24T12:00:01Z');
        assert.equal(await tickAll(), 1);
        assert.deepEqual(await backupJobs(app), [
          { key: `backup@${utc('2026-11-24T03:00:00Z')}`, payload: { keepDays: 7 }, run_at: utc('2026-11-24T03:00:00Z') },
          { key: `backup@${utc('2026-11-24T12:00:00Z')}`, payload: { keepDays: 7 }, run_at: utc('2026-11-24T12:00:01Z') },
        ]);
      } finally {
        await otherStore.close();
      }
    });

    it('after a day down, the scheduler enqueues one job for the missed times and waits for the next', async () => {
      const { app, clock } = fixture();
      const scheduler = new Scheduler(app, [{ ...BACKUPS, name: 'backup-missed' }]);
      clock.now = utc('2026-12-01T02:00:00Z');
      await scheduler.tick();
      clock.now = utc('2026-12-02T13:00:00Z');
      assert.equal(await scheduler.tick(), 1);
      assert.equal(await scheduler.tick(), 0);
      clock.now = utc('2026-12-02T19:59:59Z');
      assert.equal(await scheduler.tick(), 0, 'next due at 20:00');
      clock.now = utc('2026-12-02T20:00:00Z');
      assert.equal(await scheduler.tick(), 1);
    });
  });
}
