import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery, sql, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { parseListQuery } from '../../src/app/list.js';
import { listTracked } from '../../src/store/tracked.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, openFixture, type StoreFixture } from '../helpers/store.js';

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

const stores = await backends();
const sqlite = stores.find((b) => b.name === 'sqlite')!;
const postgres = stores.find((b) => b.name === 'postgres')!;

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

/** A step of a plan PostgreSQL explained in JSON, with what it did as the query ran. */
interface PlanNode {
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

describe('postgres deep page plans', { skip: postgres.skip }, () => {
  const ALERTS = 20_000;
  let fixture: StoreFixture;
  before(async () => {
    fixture = await openFixture(postgres);
    const { id } = await ingestAlertgroup(fixture.app, ADMIN, { subject: 'many', data: [{ n: 1 }] });
    // Alerts of a few hundred bytes each, as mail ingest stores them, so the planner weighs reading the table as it would.
    await sql`insert into alert (status, owner, created, updated, read_groups, modify_groups, alertgroup_id, data)
      select 'open', 'bulk', 1, 1, '[]', '[]', ${id}, json_build_object('n', i, 'line', repeat('x', 300))::text
      from generate_series(2, ${ALERTS}) as i`.execute(fixture.store.db);
    await sql`analyze alert`.execute(fixture.store.db);
  });
  after(async () => fixture.close());

  /** The plan of `listTracked`'s page query for `q`, as PostgreSQL ran it. */
  async function pagePlan(q: Record<string, string>): Promise<PlanNode> {
    const recorder = new Recorder();
    const db = fixture.store.db.withPlugin(recorder);
    const { rows } = await listTracked(db, fixture.store.rules, 'alert', {
      ...parseListQuery('alert', q),
      after: undefined,
      readableBy: null,
      countBound: 5,
    });
    assert.equal(rows.length, 50);
    // The last: the subqueries of a page are recorded as they are built, before the page runs.
    const page = recorder.nodes.filter((n) => n.kind === 'SelectQueryNode' && JSON.stringify(n).includes('"limit"')).at(-1)!;
    const compiled = fixture.store.db.getExecutor().compileQuery(page, { queryId: 'plan' } as never);
    const explained = await fixture.store.db.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      CompiledQuery.raw(`explain (analyze, format json) ${compiled.sql}`, [...compiled.parameters]),
    );
    return explained.rows[0]['QUERY PLAN'][0].Plan;
  }

  /** The most rows any step of `plan` passed on. */
  const mostRows = (plan: PlanNode): number =>
    Math.max(plan['Actual Rows'] * plan['Actual Loops'], ...(plan.Plans ?? []).map(mostRows));

  for (const sort of ['-id', 'id'])
    it(`reads /alert?sort=${sort}&offset=19900 of ${ALERTS} from the end: its page and the 50 rows after it, counted in its statement`, async () => {
      const plan = await pagePlan({ sort, offset: '19900' });
      assert.equal(mostRows(plan), 100);
      assert.ok(JSON.stringify(plan).includes('"Relation Name":"live_count"'), 'the page reads the counters');
    });
});
