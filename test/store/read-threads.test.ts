import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/backend.js';

const dir = tempDir('scot-read-threads-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A query that keeps SQLite busy for a while (hundreds of ms): counting `rows` rows it makes up. */
const slow = (store: Store, rows: number) =>
  sql<{
    c: number;
  }>`with recursive n(i) as (select 1 union all select i + 1 from n where i < ${rows}) select count(*) as c from n`.execute(
    store.reads!,
  );

async function withStore(name: string, options: Parameters<typeof openStore>[1], test: (store: Store) => Promise<void>) {
  const store = await openStore(path.join(dir, `${name}.sqlite`), options);
  try {
    await test(store);
  } finally {
    await store.close();
  }
}

describe('SQLite reads on threads of their own', () => {
  it('a long read leaves the event loop free meanwhile', async () => {
    await withStore('loop', {}, async (store) => {
      let turns = 0;
      const timer = setInterval(() => turns++, 1);
      try {
        const { rows } = await slow(store, 2_000_000);
        assert.equal(rows[0].c, 2_000_000);
      } finally {
        clearInterval(timer);
      }
      assert.ok(turns >= 5, `the event loop turned ${turns} times during the read`);
    });
  });

  it('reading on the calling thread (0 threads) holds the event loop, as the setting says', async () => {
    await withStore('inline', { sqliteReadThreads: 0 }, async (store) => {
      let turns = 0;
      const timer = setInterval(() => turns++, 1);
      try {
        await slow(store, 2_000_000);
      } finally {
        clearInterval(timer);
      }
      assert.ok(turns <= 2, `the event loop turned ${turns} times during the read`);
    });
  });

  it('a second thread answers a short read while the first is busy with a long one', async () => {
    await withStore('two', { sqliteReadThreads: 2 }, async (store) => {
      let slowDone = false;
      const long = slow(store, 6_000_000).then(() => {
        slowDone = true;
      });
      const { rows } = await sql<{ answer: number }>`select 42 as answer`.execute(store.reads!);
      assert.equal(rows[0].answer, 42);
      assert.equal(slowDone, false, 'the short read waited for the long one');
      await long;
    });
  });

  it('reads what the writer committed, and refuses to write', async () => {
    await withStore('writes', {}, async (store) => {
      await store.db.insertInto('tag').values({ name: 'seen-by-readers', description: '', created: 1 }).execute();
      const tag = await store.reads!.selectFrom('tag').select('name').where('name', '=', 'seen-by-readers').executeTakeFirst();
      assert.equal(tag?.name, 'seen-by-readers');
      await assert.rejects(
        store.reads!.insertInto('tag').values({ name: 'written-by-a-reader', description: '', created: 1 }).execute(),
        (err: Error & { code?: string }) => err.code === 'SQLITE_READONLY',
      );
      await assert.rejects(
        store.reads!.transaction().execute(async () => {}),
        /run no transactions/,
      );
    });
  });

  it('an error comes back as the error SQLite raised, and the thread goes on reading', async () => {
    await withStore('errors', {}, async (store) => {
      await assert.rejects(sql`select * from no_such_table`.execute(store.reads!), (err: Error & { code?: string }) => {
        assert.match(err.message, /no such table: no_such_table/);
        assert.equal(err.code, 'SQLITE_ERROR');
        return true;
      });
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(store.reads!);
      assert.equal(rows[0].one, 1);
    });
  });
});
