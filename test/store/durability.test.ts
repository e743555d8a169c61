import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/backend.js';

const dir = tempDir('scot-durability-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** SQLite's `synchronous` of the store's connection: 1 is NORMAL, 2 is FULL. */
async function synchronousOf(store: Store): Promise<number> {
  const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
  return rows[0].synchronous;
}

describe('SQLite durability', () => {
  it('syncs every commit to disk by default, so an acknowledged write survives a power cut', async () => {
    const store = await openStore(path.join(dir, 'default.sqlite'));
    try {
      assert.equal(await synchronousOf(store), 2);
      const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      assert.equal(rows[0].journal_mode, 'wal');
    } finally {
      await store.close();
    }
  });

  it('syncs only at checkpoints when the operator accepts losing the last commits', async () => {
    const store = await openStore(path.join(dir, 'normal.sqlite'), { sqliteSync: 'normal' });
    try {
      assert.equal(await synchronousOf(store), 1);
    } finally {
      await store.close();
    }
  });
});
