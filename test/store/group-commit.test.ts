import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { ingestAlertgroup, type IngestResult } from '../../src/app/alertgroup.js';
import { createApp } from '../../src/app/context.js';
import type { AlertgroupInput } from '../../src/domain/input/alertgroup.js';
import { openStore } from '../../src/store/index.js';
import { backends } from '../helpers/backend.js';
import { as, countRows, testConfig, useFixture } from '../helpers/store.js';

const analyst = as('alice');
const blue = as('blue-ids', ['blue']);
const green = as('green-ids', ['green']);

/** More than the pool has connections, so on PostgreSQL requests wait and share transactions. */
const MANY = 40;

const good = (n: number): AlertgroupInput => ({
  subject: `good ${n}`,
  message_id: `<good-${n}@group-commit>`,
  data: [
    { n, row: 1 },
    { n, row: 2 },
    { n, row: 3 },
  ],
  tag: ['shared', `own-${n % 3}`],
  source: ['detector'],
});

/** The alertgroup's alert ids and its create change, as another reader finds them. */
async function storedIngest(app: ReturnType<typeof createApp>, id: number) {
  const alerts = await app.store.db.selectFrom('alert').select('id').where('alertgroup_id', '=', id).orderBy('id').execute();
  const created = await app.store.db
    .selectFrom('change')
    .select('diff')
    .where('type', '=', 'alertgroup')
    .where('target_id', '=', id)
    .where('action', '=', 'create')
    .execute();
  return { alerts: alerts.map((a) => a.id), created: created.map((c) => JSON.parse(c.diff).alerts) };
}

/** How many transactions the app's store begins from now on. */
function countTransactions(app: ReturnType<typeof createApp>) {
  const begun = mock.method(app.store.db, 'transaction');
  return () => begun.mock.callCount();
}

for (const backend of await backends()) {
  describe(`${backend.name}: group commit`, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);
    afterEach(() => mock.restoreAll());

    /** A second API node: its own store and App over the same database. */
    async function otherNode() {
      const { url, dataDir } = fixture();
      const store = await openStore(url, { migrate: false });
      return { app: createApp(store, testConfig(dataDir, url)), close: () => store.close() };
    }

    it('concurrent posts share transactions, each answered with its own alertgroup, alerts, labels and change', async () => {
      const { app } = fixture();
      const transactions = countTransactions(app);
      const results = await Promise.all(Array.from({ length: MANY }, (_, n) => ingestAlertgroup(app, analyst, good(n))));
      assert.equal(new Set(results.map((r) => r.id)).size, MANY);
      for (const [n, result] of results.entries()) {
        assert.equal(result.created, true);
        const row = await app.store.db.selectFrom('alertgroup').selectAll().where('id', '=', result.id).executeTakeFirstOrThrow();
        assert.equal(row.subject, `good ${n}`);
        const alerts = await app.store.db
          .selectFrom('alert')
          .select(['id', 'data'])
          .where('alertgroup_id', '=', result.id)
          .orderBy('id')
          .execute();
        assert.deepEqual(
          alerts.map((a) => a.id),
          result.alerts,
        );
        assert.deepEqual(
          alerts.map((a) => JSON.parse(a.data)),
          good(n).data,
        );
        const tags = await app.store.db
          .selectFrom('tag_link as l')
          .innerJoin('tag as t', 't.id', 'l.label_id')
          .select('t.name')
          .where('l.target_type', '=', 'alertgroup')
          .where('l.target_id', '=', result.id)
          .orderBy('t.name')
          .execute();
        assert.deepEqual(
          tags.map((t) => t.name),
          ['own-' + (n % 3), 'shared'].sort(),
        );
        assert.deepEqual((await storedIngest(app, result.id)).created, [result.alerts]);
      }
      // Each new label is made once, and its creation logged once.
      assert.equal(await countRows(app, 'tag'), 4);
      assert.ok(transactions() < MANY, `${MANY} alertgroups took ${transactions()} transactions`);
    });

    it('one failing alertgroup among many concurrent ones leaves nothing of itself and harms none of the others', async () => {
      const { app } = fixture();
      const before = { alertgroup: await countRows(app, 'alertgroup'), alert: await countRows(app, 'alert') };
      // Its third row cannot be stored as JSON: the failure comes after its alertgroup row is inserted.
      const doomed: AlertgroupInput = {
        subject: 'doomed',
        message_id: '<doomed@group-commit>',
        data: [{ n: 1 }, { n: 2 }, { n: 3n }],
        tag: ['doomed-only'],
      };
      const inputs = Array.from({ length: MANY }, (_, n) => ({ ...good(1000 + n), message_id: `<batch-${n}@group-commit>` }));
      const outcomes = await Promise.allSettled([
        ...inputs.slice(0, MANY / 2).map((input) => ingestAlertgroup(app, analyst, input)),
        ingestAlertgroup(app, analyst, doomed),
        ...inputs.slice(MANY / 2).map((input) => ingestAlertgroup(app, analyst, input)),
      ]);
      const failed = outcomes.splice(MANY / 2, 1)[0];
      assert.equal(failed.status, 'rejected');
      assert.ok((failed as PromiseRejectedResult).reason instanceof TypeError);
      assert.deepEqual(new Set(outcomes.map((o) => o.status)), new Set(['fulfilled']));
      const results = outcomes.map((o) => (o as PromiseFulfilledResult<IngestResult>).value);
      for (const result of results) {
        assert.equal(result.created, true);
        assert.deepEqual(await storedIngest(app, result.id), { alerts: result.alerts, created: [result.alerts] });
      }
      assert.equal(await countRows(app, 'alertgroup'), before.alertgroup + MANY);
      assert.equal(await countRows(app, 'alert'), before.alert + MANY * 3);
      assert.equal(
        await app.store.db.selectFrom('alertgroup').select('id').where('subject', '=', 'doomed').executeTakeFirst(),
        undefined,
      );
      assert.equal(
        await app.store.db.selectFrom('tag').select('id').where('name', '=', 'doomed-only').executeTakeFirst(),
        undefined,
      );
      const logged = await app.store.db.selectFrom('change').select('diff').where('type', '=', 'alertgroup').execute();
      assert.ok(!logged.some((c) => JSON.parse(c.diff).subject === 'doomed'));
    });

    it('a batch of 2,000 one-row alertgroups, more values than one SQLite statement binds, is stored in chunks', async () => {
      const { app } = fixture();
      const before = await countRows(app, 'alertgroup');
      const posts = Array.from({ length: 2000 }, (_, n) => ({
        subject: `tiny ${n}`,
        data: [{ n }],
        tag: ['tiny', `tiny-${n % 7}`],
      }));
      const transactions = countTransactions(app);
      const results = await Promise.all(posts.map((input) => ingestAlertgroup(app, analyst, input)));
      assert.equal(await countRows(app, 'alertgroup'), before + 2000);
      const last = await app.store.db
        .selectFrom('alertgroup')
        .select('subject')
        .where('id', '=', results[1999].id)
        .executeTakeFirstOrThrow();
      assert.equal(last.subject, 'tiny 1999');
      const links = await app.store.db
        .selectFrom('tag_link')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('target_type', '=', 'alertgroup')
        .where(
          'target_id',
          'in',
          results.map((r) => r.id),
        )
        .executeTakeFirstOrThrow();
      assert.equal(Number(links.n), 4000);
      assert.ok(transactions() < 100, `2,000 alertgroups took ${transactions()} transactions`);
    });

    it('two API nodes posting the same message_ids concurrently store each once per team, without deadlock', async () => {
      const { app } = fixture();
      const other = await otherNode();
      try {
        const mail = (k: number, groups: string[]): AlertgroupInput => ({
          message_id: `<node-race-${k}@detector>`,
          subject: `race ${k}`,
          data: [{ k }, { k: k + 1 }],
          groups: { read: groups, modify: groups },
          tag: [`race-${(7 * k) % 5}`, `race-${k % 5}`],
        });
        // Every node posts every message_id for both teams, in a different order on each node.
        const posts = Array.from({ length: MANY }, (_, i) => {
          const k = i % 4;
          const team = i % 8 < 4 ? ([blue, ['blue']] as const) : ([green, ['green']] as const);
          return { k, team };
        });
        const results = await Promise.all([
          ...posts.map(({ k, team }) => ingestAlertgroup(app, team[0], mail(k, [...team[1]])).then((r) => ({ r, k, team }))),
          ...[...posts]
            .reverse()
            .map(({ k, team }) => ingestAlertgroup(other.app, team[0], mail(k, [...team[1]])).then((r) => ({ r, k, team }))),
        ]);
        const byKey = new Map<string, Set<number>>();
        for (const { r, k, team } of results) {
          const key = `${k} ${team[1][0]}`;
          byKey.set(key, (byKey.get(key) ?? new Set()).add(r.id));
        }
        assert.equal(byKey.size, 8);
        for (const [key, ids] of byKey) assert.equal(ids.size, 1, `every post of ${key} answers with one alertgroup`);
        assert.equal(results.filter(({ r }) => r.created).length, 8);
        const stored = await app.store.db
          .selectFrom('alertgroup')
          .select('id')
          .where('message_id', 'like', '<node-race-%')
          .execute();
        assert.equal(stored.length, 8);
        for (const { r } of results) assert.equal(r.alerts.length, 2);
      } finally {
        await other.close();
      }
    });

    it('answers each post only once its alertgroup is committed: another node reads it whole at once', async () => {
      const { app } = fixture();
      const other = await otherNode();
      try {
        const seen = await Promise.all(
          Array.from({ length: MANY }, async (_, n) => {
            const result = await ingestAlertgroup(app, analyst, { ...good(2000 + n), message_id: `<committed-${n}@x>` });
            return { result, stored: await storedIngest(other.app, result.id) };
          }),
        );
        for (const { result, stored } of seen) assert.deepEqual(stored, { alerts: result.alerts, created: [result.alerts] });
      } finally {
        await other.close();
      }
    });
  });
}
