import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { App } from '../../src/app/context.js';
import { searchIndexer, searchObjects } from '../../src/app/search.js';
import type { Principal } from '../../src/domain/principal.js';
import { BUILT_IN } from '../../src/jobs/background.js';
import { CursorReader, type ChangeConsumer } from '../../src/jobs/consumer.js';
import { ADMIN } from './store.js';

/** The flair consumer as every worker runs it: it stores entities and records the new ones. */
export const flairConsumer: ChangeConsumer = BUILT_IN.consumers.find((c) => c.name === 'flair')!;

/** Steps a consumer (the search indexer unless told) until it has every change; bounded. */
export async function catchUp(app: App, consumer: ChangeConsumer = searchIndexer): Promise<void> {
  const reader = new CursorReader(app, consumer);
  for (let i = 0; i < 100; i++) {
    const done = await reader.step();
    assert.notEqual(done, undefined, `another reader holds the ${consumer.name} cursor`);
    if (done === 0) return reader.release();
  }
  assert.fail(`the ${consumer.name} consumer never caught up`);
}

/** What `q` finds for `who`, as sorted `type:id` keys. */
export async function found(app: App, who: Principal, q: string): Promise<string[]> {
  const { records } = await searchObjects(app, who, { q, limit: '100' });
  return records.map((r) => `${r.type}:${r.id}`).sort();
}

/** One test a case: an admin's query `q` finds exactly the objects named by `keys` in `k`. */
export function itFindsEach(app: () => App, k: Record<string, string>, cases: readonly [string, string, string[]][]): void {
  for (const [what, q, keys] of cases) {
    it(`an admin finds ${what}: ${q}`, async () => {
      assert.deepEqual(await found(app(), ADMIN, q), keys.map((key) => k[key]).sort());
    });
  }
}
