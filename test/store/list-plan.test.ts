import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { parseListQuery } from '../../src/app/list.js';
import { listTracked } from '../../src/store/tracked.js';
import { backends } from '../helpers/backend.js';
import { openFixture, type StoreFixture } from '../helpers/store.js';

/** Keeps every query the store runs, to explain it afterwards. */
class Recorder implements KyselyPlugin {
  nodes: RootOperationNode[] = [];
  transformQuery({ node }: { node: RootOperationNode }) {
    this.nodes.push(node);
    return node;
  }
  async transformResult({ result }: { result: any }) {
    return result;
  }
}

/** List queries whose filter and sort an index of 0010_list_index serves: the page must be read in index order. */
const INDEXED: [type: 'alertgroup' | 'alert' | 'event' | 'incident' | 'entry', query: Record<string, string>][] = [];
for (const type of ['alertgroup', 'alert', 'event', 'incident', 'entry'] as const) {
  INDEXED.push(
    [type, {}],
    [type, { sort: 'id' }],
    [type, { deleted: 'true' }],
    [type, { status: 'open' }],
    [type, { owner: 'bob' }],
    [type, { status: 'open', sort: '-created' }],
    [type, { owner: 'bob', sort: 'created' }],
    [type, { created: '100,200', sort: '-created' }],
  );
  for (const field of ['created', 'updated', 'status', 'owner'])
    INDEXED.push([type, { sort: field }], [type, { sort: `-${field}` }]);
}

const sqlite = (await backends()).find((b) => b.name === 'sqlite')!;

describe('sqlite list plans', () => {
  let fixture: StoreFixture;
  before(async () => {
    fixture = await openFixture(sqlite);
  });
  after(async () => fixture.close());

  /** The query plan lines of the page query `listTracked` runs for `q`. */
  async function pagePlan(type: (typeof INDEXED)[number][0], q: Record<string, string>): Promise<string[]> {
    const recorder = new Recorder();
    const db = fixture.store.db.withPlugin(recorder);
    await listTracked(db, fixture.store.rules, type, {
      ...parseListQuery(type, q),
      after: undefined,
      readableBy: ['ir'],
      countBound: 5,
    });
    const page = recorder.nodes.find((n) => n.kind === 'SelectQueryNode' && JSON.stringify(n).includes('"limit"'))!;
    const compiled = fixture.store.db.getExecutor().compileQuery(page, { queryId: 'plan' } as never);
    const plan = await fixture.store.db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
    );
    return plan.rows.map((r) => r.detail);
  }

  for (const [type, q] of INDEXED) {
    it(`reads /${type}?${new URLSearchParams(q)} in index order, without sorting the table`, async () => {
      const plan = await pagePlan(type, q);
      assert.ok(!plan.some((line) => line.includes('TEMP B-TREE')), plan.join(' | '));
      if (q.status || q.owner)
        assert.ok(
          plan.some((line) => /SEARCH \w+ USING INDEX/.test(line)),
          plan.join(' | '),
        );
      // The default order walks the partial index of rows not deleted, so a deep offset skips index entries, not rows.
      if (Object.keys(q).length === 0 || (Object.keys(q).length === 1 && q.sort === 'id'))
        assert.ok(
          plan.some((line) => line.includes(`USING INDEX ${type}_live`)),
          plan.join(' | '),
        );
      // Deleted rows are read from their partial index, not found among all the others.
      if (q.deleted)
        assert.ok(
          plan.some((line) => line.includes(`USING INDEX ${type}_deleted`)),
          plan.join(' | '),
        );
    });
  }

  it('reads the page after a cursor from the index at the cursor', async () => {
    const recorder = new Recorder();
    const db = fixture.store.db.withPlugin(recorder);
    const q = parseListQuery('alert', { sort: '-created' });
    await listTracked(db, fixture.store.rules, 'alert', {
      ...q,
      after: [1_700_000_000, 40] as const,
      readableBy: null,
      countBound: 5,
    });
    const page = recorder.nodes.find((n) => n.kind === 'SelectQueryNode' && JSON.stringify(n).includes('"limit"'))!;
    const compiled = fixture.store.db.getExecutor().compileQuery(page, { queryId: 'plan' } as never);
    const plan = (
      await fixture.store.db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
      )
    ).rows.map((r) => r.detail);
    assert.ok(
      plan.some((line) => line.includes('USING INDEX alert_created (created<?)')),
      plan.join(' | '),
    );
  });
});
