import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { App } from '../../src/app/context.js';
import { startBackground } from '../../src/jobs/background.js';
import { CursorReader, type ChangeConsumer, type CursorOptions } from '../../src/jobs/consumer.js';
import { appendChanges } from '../../src/store/change.js';
import { backends } from '../helpers/backend.js';
import { T0, useFixture } from '../helpers/store.js';

/** Appends `n` changes to the change log; their seqs. */
async function changes(app: App, n: number, db = app.store.db): Promise<number[]> {
  const rows = Array.from({ length: n }, (_, i) => ({
    at: app.now(),
    who: 'alice',
    type: 'event',
    target_id: i + 1,
    action: 'update',
    diff: {},
  }));
  return appendChanges(db, rows);
}

/** A consumer that stores one derived row per change; the table's primary key refuses a change seen twice. */
function deriving(name: string, batchSize: number, fail?: (seq: number) => boolean): ChangeConsumer {
  return {
    name,
    batchSize,
    async handle(unit, batch) {
      for (const change of batch) {
        if (fail?.(change.seq)) throw new Error(`the process died at change ${change.seq}`);
        await sql`insert into derived (consumer, seq) values (${name}, ${change.seq})`.execute(unit.db);
      }
    },
  };
}

/** The seqs consumer `name` derived rows for, in order. */
async function derived(app: App, name: string): Promise<number[]> {
  const { rows } = await sql<{ seq: number }>`select seq from derived where consumer = ${name} order by seq`.execute(
    app.store.db,
  );
  return rows.map((r) => Number(r.seq));
}

async function cursorAt(app: App, name: string): Promise<number> {
  return Number((await app.store.db.selectFrom('cursor').select('seq').where('name', '=', name).executeTakeFirstOrThrow()).seq);
}

/** A reader of a new consumer whose cursor starts at the end of the log, past the other tests' changes. */
async function readerAtEnd(app: App, consumer: ChangeConsumer, options: CursorOptions = {}): Promise<CursorReader> {
  const last = await app.store.db
    .selectFrom('change')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  await app.store.db
    .insertInto('cursor')
    .values({ name: consumer.name, seq: Number(last?.seq ?? 0), lease_owner: null, lease_until: null, updated: app.now() })
    .execute();
  return new CursorReader(app, consumer, options);
}

/** Steps `reader` until it has nothing more; bounded. */
async function catchUp(reader: CursorReader): Promise<void> {
  for (let i = 0; i < 100; i++) if (!(await reader.step())) return;
  assert.fail('the consumer never caught up');
}

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);
    before(async () => {
      await sql`create table derived (consumer text not null, seq bigint not null, primary key (consumer, seq))`.execute(
        fixture().app.store.db,
      );
    });

    it('a consumer gets every change once, in order and in batches, and its cursor stands at the last', async () => {
      const { app } = fixture();
      const reader = await readerAtEnd(app, deriving('in-batches', 10));
      const seqs = await changes(app, 25);
      const steps = [await reader.step(), await reader.step(), await reader.step(), await reader.step()];
      assert.deepEqual(steps, [10, 10, 5, 0]);
      assert.deepEqual(await derived(app, 'in-batches'), seqs);
      assert.equal(await cursorAt(app, 'in-batches'), seqs.at(-1));
    });

    it('on a single writer a batch whose transaction runs long shrinks towards 20 ms, and grows back once fast', async () => {
      const { app } = fixture();
      let msPerChange = 1;
      const slow: ChangeConsumer = {
        name: 'slow',
        batchSize: 200,
        async handle(_unit, batch) {
          // Busy, as SQLite's synchronous statements are: the writer is held the whole time.
          const until = performance.now() + batch.length * msPerChange;
          while (performance.now() < until);
        },
      };
      const reader = await readerAtEnd(app, slow);
      await changes(app, 800);
      assert.equal(await reader.step(), 200, 'the first batch has the full size');
      const second = (await reader.step())!;
      if (app.store.rules.singleWriter) assert.ok(second < 100, `a 200 ms transaction makes the next batch smaller (${second})`);
      else assert.equal(second, 200, 'several writers do not wait for one another: the size stays');
      msPerChange = 0;
      await changes(app, 1000);
      const sizes: number[] = [];
      for (let i = 0; i < 8 && sizes.at(-1) !== 200; i++) sizes.push((await reader.step())!);
      assert.equal(sizes.at(-1), 200, `fast transactions bring the batch back to its full size (${sizes})`);
    });

    it('a consumer waits while one listed before it is behind, and goes on once that one has caught up', async () => {
      const { app } = fixture();
      const steps: string[] = [];
      const recording = (name: string, batchSize: number): ChangeConsumer => ({
        name,
        batchSize,
        async handle(_unit, batch) {
          steps.push(`${name} ${batch.length}`);
        },
      });
      const [first, second] = [recording('first', 5), recording('second', 100)];
      await readerAtEnd(app, first);
      await readerAtEnd(app, second);
      await changes(app, 12);
      const background = await startBackground(app, { handlers: [], schedules: [], consumers: [first, second] }, { pollMs: 20 });
      try {
        for (let i = 0; i < 250 && !steps.some((s) => s.startsWith('second')); i++) await new Promise((r) => setTimeout(r, 20));
      } finally {
        await background.stop();
      }
      assert.deepEqual(steps, ['first 5', 'first 5', 'first 2', 'second 12']);
    });

    it('a process that dies mid-batch keeps none of the batch; the next resumes from the cursor, nothing missing or twice', async () => {
      const { app, clock } = fixture();
      clock.now = T0;
      let seqs: number[] = [];
      const dying = await readerAtEnd(
        app,
        deriving('crash', 10, (seq) => seq === seqs[14]),
        { leaseSeconds: 30 },
      );
      seqs = await changes(app, 30);
      assert.equal(await dying.step(), 10);
      await assert.rejects(dying.step(), /died at change/);
      assert.deepEqual(await derived(app, 'crash'), seqs.slice(0, 10), 'the half-done batch left nothing behind');
      assert.equal(await cursorAt(app, 'crash'), seqs[9]);

      const restarted = new CursorReader(app, deriving('crash', 10));
      assert.equal(await restarted.step(), undefined, "the dead process's lease still holds");
      clock.now = T0 + 31;
      await catchUp(restarted);
      assert.deepEqual(await derived(app, 'crash'), seqs);
      assert.equal(await cursorAt(app, 'crash'), seqs.at(-1));
    });

    it('two nodes with the same consumer: one owns the cursor at a time, and the other takes over where it stopped', async () => {
      const { app, clock } = fixture();
      clock.now = T0;
      const a = await readerAtEnd(app, deriving('shared', 100), { leaseSeconds: 30 });
      const first = await changes(app, 5);
      const b = new CursorReader(app, deriving('shared', 100), { leaseSeconds: 30 });
      assert.equal(await a.step(), 5);
      assert.equal(await b.step(), undefined);
      const second = await changes(app, 3);
      clock.now = T0 + 20;
      assert.equal(await a.step(), 3, 'a renews its lease while it works');
      clock.now = T0 + 45;
      assert.equal(await b.step(), undefined, "a's renewed lease holds until T0+50");
      const third = await changes(app, 2);
      clock.now = T0 + 51;
      assert.equal(await b.step(), 2, 'a stopped renewing: b takes over');
      assert.equal(await a.step(), undefined);
      await b.release();
      const fourth = await changes(app, 1);
      assert.equal(await a.step(), 1, 'a released cursor is free at once');
      assert.deepEqual(await derived(app, 'shared'), [...first, ...second, ...third, ...fourth]);
    });

    it('a change that commits after a higher seq is not skipped', {
      skip: backend.name === 'sqlite' && 'one writer: seqs commit in order',
    }, async () => {
      const { app } = fixture();
      const reader = await readerAtEnd(app, deriving('late', 100));
      const earlier = await changes(app, 2);
      let commit!: () => void;
      const held = new Promise<void>((resolve) => (commit = resolve));
      let appended!: () => void;
      const inFlight = new Promise<void>((resolve) => (appended = resolve));
      let lateSeq = 0;
      const late = app.store.db.transaction().execute(async (tx) => {
        [lateSeq] = await changes(app, 1, tx);
        appended();
        await held;
      });
      await inFlight;
      let after: number;
      try {
        [after] = await changes(app, 1);
        assert.ok(after > lateSeq);
        assert.equal(await reader.step(), 2, 'stops before the change still in flight');
        assert.equal(await reader.step(), 0);
      } finally {
        commit();
        await late;
      }
      assert.equal(await reader.step(), 2);
      assert.deepEqual(await derived(app, 'late'), [...earlier, lateSeq, after!]);
    });

    it('a hole left by a rolled-back change is passed once it has stayed open for the gap time', {
      skip: backend.name === 'sqlite' && 'one writer: seqs commit in order',
    }, async () => {
      const { app, clock } = fixture();
      clock.now = T0;
      const reader = await readerAtEnd(app, deriving('hole', 100), { gapSeconds: 10, leaseSeconds: 3600 });
      await assert.rejects(
        app.store.db.transaction().execute(async (tx) => {
          await changes(app, 1, tx);
          throw new Error('rolled back');
        }),
      );
      const [after] = await changes(app, 1);
      assert.equal(await reader.step(), 0, 'the hole may be a change still in flight');
      clock.now = T0 + 9;
      assert.equal(await reader.step(), 0);
      clock.now = T0 + 10;
      assert.equal(await reader.step(), 1);
      assert.deepEqual(await derived(app, 'hole'), [after]);
    });
  });
}
