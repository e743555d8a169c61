import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { paddedLength } from '../../src/store/dialect/in-lists.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/backend.js';

const dir = tempDir('scot-in-lists-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('in-lists padded to a few lengths', () => {
  it('a list keeps a short length, then grows to a power of two, then to a multiple of 1024, and a very long one keeps its own', () => {
    assert.deepEqual(
      [0, 1, 3, 4, 5, 8, 9, 100, 1024, 1025, 5000, 16_384, 16_385].map(paddedLength),
      [0, 1, 3, 4, 8, 8, 16, 128, 1024, 2048, 5120, 16_384, 16_385],
    );
  });

  it('every length of list gives the same rows as unpadded, through few SQL texts, and inserts keep their rows', async () => {
    const store = await openStore(path.join(dir, 'lists.sqlite'));
    try {
      const db = store.db as any;
      await db.schema
        .createTable('t')
        .addColumn('id', 'integer', (c: any) => c.primaryKey())
        .addColumn('v', 'text')
        .execute();
      // An insert's rows are value lists too: none may be padded into a duplicate.
      await db
        .insertInto('t')
        .values(Array.from({ length: 300 }, (_, i) => ({ id: i + 1, v: `v${i + 1}` })))
        .execute();
      assert.equal(
        Number(
          (
            await db
              .selectFrom('t')
              .select((eb: any) => eb.fn.countAll().as('n'))
              .executeTakeFirst()
          ).n,
        ),
        300,
      );
      const texts = new Set<string>();
      for (let n = 1; n <= 300; n++) {
        const ids = Array.from({ length: n }, (_, i) => 300 - i * 2).filter((id) => id > 0);
        const query = db.selectFrom('t').select('id').where('id', 'in', ids).orderBy('id');
        texts.add(query.compile().sql);
        assert.deepEqual(
          (await query.execute()).map((r: { id: number }) => r.id),
          [...ids].sort((a, b) => a - b),
          `${n} ids`,
        );
        const outside = await db.selectFrom('t').select('id').where('id', 'not in', ids).execute();
        assert.equal(outside.length, 300 - ids.length, `not in ${n} ids`);
      }
      assert.ok(texts.size <= 11, `${texts.size} texts for lists of 1 to 300 values`);
    } finally {
      await store.close();
    }
  });
});
