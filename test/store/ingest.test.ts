import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import type { AlertgroupInput } from '../../src/domain/input/alertgroup.js';
import type { App } from '../../src/app/context.js';
import { getObject, history, listObjects, updateObject } from '../../src/app/object.js';
import type { ChangeRecord } from '../../src/store/change.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, as, changesOf, countRows, storedRow, T0, unitFor, useFixture } from '../helpers/store.js';

const analyst = as('alice');

/** Rows that exercise JSON storage: nesting, unicode, numbers at the edges, odd keys. */
const AWKWARD_ROWS: Record<string, unknown>[] = [
  {
    src_ip: '10.1.2.3',
    nested: { a: [1, 2, { b: null, c: [true, false] }], 'empty obj': {}, 'empty list': [] },
    unicode: 'naïve café — 日本語 — עברית — 👩‍💻🔥 — e\u0301',
    control: 'tab\there\nnewline "quotes" \\backslash\\ nul\u0000end',
    html: '<script>alert(1)</script>',
    numbers: [0, -1, 1.5, 1e-7, 1e21, Number.MAX_SAFE_INTEGER, -(2 ** 31), Math.PI],
    empty: '',
    nothing: null,
  },
  { 'key with spaces': 1, 'dotted.key': 2, ключ: 'значение', '💥': '' },
  { src_ip: '10.9.9.9', long: 'x'.repeat(100_000) },
];

const alertsOf = async (app: App, alertgroupId: number) =>
  (await listObjects(unitFor(app, ADMIN), 'alert', { alertgroup: String(alertgroupId), sort: 'id', limit: '1000' })).records;

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);

    it('stores the alertgroup and one alert per row, data round-tripping exactly', async () => {
      const { app } = fixture();
      const result = await ingestAlertgroup(app, analyst, { subject: 'Awkward data', data: AWKWARD_ROWS, source: ['splunk'] });
      assert.equal(result.created, true);
      assert.equal(result.alerts.length, AWKWARD_ROWS.length);
      assert.deepEqual(
        [...result.alerts].sort((a, b) => a - b),
        result.alerts,
        'alert ids in row order',
      );

      const group = await getObject(app, analyst, 'alertgroup', result.id);
      assert.equal(group.subject, 'Awkward data');
      assert.equal(group.status, 'open');
      assert.equal(group.owner, 'alice');
      assert.equal(group.created, T0);
      assert.deepEqual(group.groups, { read: ['ir'], modify: ['ir'] }, 'configured default groups');
      assert.equal(group.alert_count, 3);
      assert.equal(group.open_count, 3);
      assert.equal(group.closed_count, 0);
      assert.equal(group.promoted_count, 0);

      const alerts = await alertsOf(app, result.id);
      assert.deepEqual(
        alerts.map((a) => a.id),
        result.alerts,
      );
      for (const [i, alert] of alerts.entries()) {
        assert.equal(alert.alertgroup, result.id);
        assert.equal(alert.status, 'open');
        assert.deepEqual(alert.data, AWKWARD_ROWS[i]);
        // Exactly: same keys in the same order, same numbers, same characters.
        assert.equal(JSON.stringify(alert.data), JSON.stringify(AWKWARD_ROWS[i]));
        const stored = await storedRow(app, 'alert', alert.id as number);
        assert.equal(stored.data, JSON.stringify(AWKWARD_ROWS[i]));
        assert.deepEqual(alert.groups, group.groups, 'alerts share their alertgroup groups');
      }
      const numbers = (alerts[0].data as { numbers: number[] }).numbers;
      assert.equal(numbers[5], Number.MAX_SAFE_INTEGER);
      assert.equal(numbers[4], 1e21);
    });

    it('derives columns from the rows when none are given, in first-seen order', async () => {
      const { app } = fixture();
      const result = await ingestAlertgroup(app, analyst, {
        subject: 'derived columns',
        data: [
          { b: 1, a: 2 },
          { a: 3, c: 4 },
          { d: 5, b: 6 },
        ],
      });
      assert.deepEqual((await getObject(app, analyst, 'alertgroup', result.id)).columns, ['b', 'a', 'c', 'd']);
    });

    it('keeps given columns first and adds keys the rows have beyond them', async () => {
      const { app } = fixture();
      const data = [
        { host: 'web1', extra: { deep: true } },
        { user: 'bob', host: 'web2' },
      ];
      const result = await ingestAlertgroup(app, analyst, {
        subject: 'given columns',
        data,
        columns: ['user', 'host', 'unused'],
      });
      assert.deepEqual((await getObject(app, analyst, 'alertgroup', result.id)).columns, ['user', 'host', 'unused', 'extra']);
      assert.deepEqual(
        (await alertsOf(app, result.id)).map((a) => a.data),
        data,
        'keys outside the columns are kept',
      );
    });

    it('links tags and sources once each, reusing labels across alertgroups', async () => {
      const { app } = fixture();
      const first = await ingestAlertgroup(app, analyst, {
        subject: 'labels one',
        data: [{ x: 1 }],
        tag: ['phishing', 'high', 'phishing'],
        source: ['splunk'],
      });
      const second = await ingestAlertgroup(app, analyst, {
        subject: 'labels two',
        data: [{ x: 2 }],
        tag: ['high'],
        source: ['splunk', 'ids'],
      });
      const one = await getObject(app, analyst, 'alertgroup', first.id);
      const two = await getObject(app, analyst, 'alertgroup', second.id);
      assert.deepEqual(one.tag, ['high', 'phishing'], 'deduplicated and sorted by name');
      assert.deepEqual(one.source, ['splunk']);
      assert.deepEqual(two.tag, ['high']);
      assert.deepEqual(two.source, ['ids', 'splunk']);
      const highTags = await app.store.db.selectFrom('tag').select('id').where('name', '=', 'high').execute();
      assert.equal(highTags.length, 1, 'one label row per name');
      const links = await app.store.db.selectFrom('tag_link').selectAll().where('label_id', '=', highTags[0].id).execute();
      assert.deepEqual(
        links.map((l) => l.target_id).sort((a, b) => a - b),
        [first.id, second.id],
      );
      assert.ok(links.every((l) => l.target_type === 'alertgroup'));
    });

    it('takes asked groups and owner', async () => {
      const { app } = fixture();
      const result = await ingestAlertgroup(app, analyst, {
        subject: 'restricted',
        data: [{ x: 1 }],
        groups: { read: ['hr', 'ir', 'hr'], modify: ['hr'] },
        owner: 'splunk-bot',
      });
      const group = await getObject(app, ADMIN, 'alertgroup', result.id);
      assert.deepEqual(group.groups, { read: ['hr', 'ir'], modify: ['hr'] });
      assert.equal(group.owner, 'splunk-bot');
      const [alert] = await alertsOf(app, result.id);
      assert.deepEqual(alert.groups, { read: ['hr', 'ir'], modify: ['hr'] });
      assert.equal(alert.owner, 'splunk-bot');
    });

    it('an alertgroup without rows is closed', async () => {
      const { app } = fixture();
      const result = await ingestAlertgroup(app, analyst, { subject: 'nothing', data: [] });
      const group = await getObject(app, analyst, 'alertgroup', result.id);
      assert.equal(group.status, 'closed');
      assert.equal(group.alert_count, 0);
      assert.deepEqual(result.alerts, []);
    });

    it('logs the ingest in the same transaction, in every alert history too, and tells the feed after commit', async () => {
      const { app } = fixture();
      const heard: ChangeRecord[] = [];
      const listen = (c: ChangeRecord) => heard.push(c);
      app.feed.on('change', listen);
      let result: Awaited<ReturnType<typeof ingestAlertgroup>> | undefined;
      try {
        result = await ingestAlertgroup(app, analyst, {
          subject: 'logged',
          message_id: '<logged@example>',
          data: [{ a: 1 }, { a: 2 }],
          tag: ['t1'],
        });
      } finally {
        app.feed.off('change', listen);
      }
      const rows = await changesOf(app, 'alertgroup', result.id);
      assert.equal(rows.length, 1);
      const [created] = rows;
      assert.equal(created.action, 'create');
      assert.equal(created.who, 'alice');
      assert.equal(Number(created.at), T0);
      assert.equal(created.diff.subject, 'logged');
      assert.equal(created.diff.message_id, '<logged@example>');
      assert.equal(created.diff.alert_count, 2);
      assert.deepEqual(created.diff.tag, ['t1']);
      assert.deepEqual(created.diff.source, []);
      for (const alertId of result.alerts) {
        const trail = await history(app, analyst, 'alert', alertId, {});
        assert.equal(trail.totalRecordCount, 1);
        assert.deepEqual(trail.records[0], {
          seq: created.seq,
          when: T0,
          who: 'alice',
          action: 'create',
          type: 'alert',
          id: alertId,
          diff: { alertgroup: result.id },
        });
      }
      assert.ok(heard.length >= 1, 'the feed heard the ingest');
      assert.ok(
        heard.some((c) => c.type === 'alertgroup' && c.target_id === result.id && c.action === 'create' && c.seq === created.seq),
      );
      assert.ok(
        heard.every((c) => Number.isInteger(c.seq) && c.seq > 0),
        'the feed carries committed seqs',
      );
    });

    it('a known message_id returns the stored alertgroup and stores nothing', async () => {
      const { app } = fixture();
      const input: AlertgroupInput = { message_id: '<dup-1@mail.example>', subject: 'first', data: [{ n: 1 }, { n: 2 }] };
      const first = await ingestAlertgroup(app, analyst, input);
      const changes = await countRows(app, 'change');
      const alerts = await countRows(app, 'alert');
      const again = await ingestAlertgroup(app, as('bob'), { ...input, subject: 'second', data: [{ n: 3 }] });
      assert.deepEqual(again, { id: first.id, alerts: first.alerts, created: false });
      assert.equal(await countRows(app, 'change'), changes);
      assert.equal(await countRows(app, 'alert'), alerts);
      assert.equal((await getObject(app, analyst, 'alertgroup', first.id)).subject, 'first');
    });

    it('two ingests racing with one message_id store it once and both answer with it', async () => {
      const { app } = fixture();
      const input: AlertgroupInput = { message_id: '<race@mail.example>', subject: 'race', data: [{ n: 1 }, { n: 2 }, { n: 3 }] };
      const results = await Promise.all([
        ingestAlertgroup(app, analyst, input),
        ingestAlertgroup(app, analyst, input),
        ingestAlertgroup(app, analyst, input),
      ]);
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      for (const r of results) assert.equal(r.alerts.length, 3);
      const stored = await app.store.db
        .selectFrom('alertgroup')
        .select('id')
        .where('message_id', '=', input.message_id!)
        .execute();
      assert.equal(stored.length, 1);
      assert.equal((await alertsOf(app, stored[0].id)).length, 3);
    });

    it('a failure midway leaves neither the alertgroup, its alerts nor any change', async () => {
      const { app } = fixture();
      const before = {
        alertgroup: await countRows(app, 'alertgroup'),
        alert: await countRows(app, 'alert'),
        change: await countRows(app, 'change'),
      };
      // Row 700 cannot be stored as JSON: the first chunk of 500 alerts is already inserted when it fails.
      const data: Record<string, unknown>[] = Array.from({ length: 800 }, (_, n) => ({ n }));
      data[700] = { n: 10n };
      await assert.rejects(
        ingestAlertgroup(app, analyst, { subject: 'doomed', message_id: '<doomed@x>', data, tag: ['doomed-tag'] }),
        TypeError,
      );
      assert.equal(await countRows(app, 'alertgroup'), before.alertgroup);
      assert.equal(await countRows(app, 'alert'), before.alert);
      assert.equal(await countRows(app, 'change'), before.change);
      assert.equal(
        await app.store.db.selectFrom('alertgroup').select('id').where('message_id', '=', '<doomed@x>').executeTakeFirst(),
        undefined,
      );
      // The message_id is free again for a good retry.
      const retry = await ingestAlertgroup(app, analyst, { subject: 'retried', message_id: '<doomed@x>', data: [{ n: 1 }] });
      assert.equal(retry.created, true);
    });

    it('one failing alertgroup among concurrent ones harms none of the others', async () => {
      const { app } = fixture();
      const before = await countRows(app, 'alertgroup');
      const good = (n: number): AlertgroupInput => ({
        subject: `good ${n}`,
        message_id: `<good-${n}@x>`,
        data: [{ n }],
        tag: ['shared'],
      });
      // Sent together, they share one transaction on SQLite (group commit); the bad one rolls back to its savepoint.
      const outcomes = await Promise.allSettled([
        ingestAlertgroup(app, analyst, good(1)),
        ingestAlertgroup(app, analyst, { subject: 'bad', message_id: '<bad@x>', data: [{ n: 1n }], tag: ['bad-only'] }),
        ingestAlertgroup(app, analyst, good(2)),
        ingestAlertgroup(app, analyst, good(1)),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      const [one, , second, other] = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined));
      // The two posts of one message_id store it once; which of them comes first is up to the engine.
      const [first, again] = one!.created ? [one!, other!] : [other!, one!];
      assert.equal(first.created, true);
      assert.equal(second!.created, true);
      assert.deepEqual(again, { ...first, created: false });
      assert.equal(await countRows(app, 'alertgroup'), before + 2);
      assert.equal(
        await app.store.db.selectFrom('tag').select('id').where('name', '=', 'bad-only').executeTakeFirst(),
        undefined,
      );
      const created = await app.store.db
        .selectFrom('change')
        .select('target_id')
        .where('type', '=', 'alertgroup')
        .where('action', '=', 'create')
        .execute();
      assert.deepEqual(
        created
          .map((c) => c.target_id)
          .filter((id) => id === first.id || id === second!.id)
          .sort(),
        [first.id, second!.id].sort(),
      );
    });

    it('stores a large alertgroup across several insert chunks', async () => {
      const { app } = fixture();
      const data = Array.from({ length: 1200 }, (_, n) => ({ n, host: `host-${n}`, note: n % 7 === 0 ? 'sevens ✓' : null }));
      const result = await ingestAlertgroup(app, analyst, { subject: 'big', data });
      assert.equal(result.alerts.length, 1200);
      for (let i = 1; i < result.alerts.length; i++) assert.ok(result.alerts[i] > result.alerts[i - 1], 'ascending alert ids');
      const group = await getObject(app, analyst, 'alertgroup', result.id);
      assert.equal(group.alert_count, 1200);
      assert.equal(group.open_count, 1200);
      const unit = unitFor(app, analyst);
      const pages = [];
      for (const offset of [0, 1000]) {
        pages.push(
          await listObjects(unit, 'alert', { alertgroup: String(result.id), sort: 'id', limit: '1000', offset: String(offset) }),
        );
      }
      // Above the count bound (1,000) the first page estimates; the short last page knows the total.
      assert.equal(pages[0].totalRecordCountExact, false);
      assert.ok(pages[0].totalRecordCount > 1000);
      assert.deepEqual([pages[1].totalRecordCount, pages[1].totalRecordCountExact], [1200, true]);
      const records = pages.flatMap((p) => p.records);
      assert.deepEqual(
        records.map((r) => r.id),
        result.alerts,
      );
      assert.deepEqual(
        records.map((r) => r.data),
        data,
        'row i is alert i, across chunk boundaries',
      );
      for (const alertId of [result.alerts[0], result.alerts[499], result.alerts[500], result.alerts[1199]]) {
        const trail = await history(app, analyst, 'alert', alertId, {});
        assert.deepEqual(
          trail.records.map((r) => [r.action, r.diff]),
          [['create', { alertgroup: result.id }]],
        );
      }
    });

    it('stores, closes and reopens an alertgroup whose change log exceeds one statement of bind parameters', async () => {
      const { app } = fixture();
      // Closing 12,000 alerts logs 12,000 changes: more values than either database binds in one statement.
      const data = Array.from({ length: 12_000 }, (_, n) => ({ n }));
      const result = await ingestAlertgroup(app, analyst, { subject: 'huge', data });
      assert.equal(result.alerts.length, 12_000);
      assert.equal((await getObject(app, analyst, 'alertgroup', result.id)).alert_count, 12_000);
      const closed = await updateObject(app, analyst, 'alertgroup', result.id, { status: 'closed' });
      assert.equal(closed.status, 'closed');
      assert.equal(closed.closed_count, 12_000);
      assert.equal(closed.open_count, 0);
      const last = await history(app, analyst, 'alert', result.alerts.at(-1)!, {});
      assert.deepEqual(
        last.records.map((r) => [r.action, r.diff]),
        [
          ['create', { alertgroup: result.id }],
          ['update', { status: ['open', 'closed'] }],
        ],
      );
      const reopened = await updateObject(app, analyst, 'alertgroup', result.id, { status: 'open' });
      assert.equal(reopened.open_count, 12_000);
    });
  });
}
