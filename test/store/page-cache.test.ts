import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Executor } from '../../src/store/index.js';
import { tempDir } from '../helpers/backend.js';

const dir = tempDir('scot-page-cache-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The page cache a SQLite connection may hold, in KiB (SQLite states a size in KiB as a negative count). */
async function cacheKiB(db: Executor): Promise<number> {
  const { rows } = await sql<{ cache_size: number }>`pragma cache_size`.execute(db);
  return -rows[0].cache_size;
}

describe('SQLite page cache', () => {
  it('holds 16 MiB at most on the writer, and as much on the reading threads together, unless told otherwise', async () => {
    const store = await openStore(path.join(dir, 'default.sqlite'));
    try {
      assert.equal(await cacheKiB(store.db), 16 * 1024);
      assert.equal(await cacheKiB(store.reads!), (16 / 2) * 1024);
    } finally {
      await store.close();
    }
  });

  it('holds the size it is given on the writer, and on a reader on the calling thread', async () => {
    const store = await openStore(path.join(dir, 'small.sqlite'), { sqliteCacheMiB: 3, sqliteReadThreads: 0 });
    try {
      assert.equal(await cacheKiB(store.db), 3 * 1024);
      assert.equal(await cacheKiB(store.reads!), 3 * 1024);
    } finally {
      await store.close();
    }
  });
});
