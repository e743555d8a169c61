import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { addEntry } from '../../src/app/entry.js';
import { createCase, deleteObject, updateObject } from '../../src/app/object.js';
import { TABLES } from '../../src/store/migrations/0010_list_index.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, useFixture } from '../helpers/store.js';

const postgres = (await backends()).find((b) => b.name === 'postgres')!;

/** Live rows of each workflow table, counted row by row. */
type Counts = Record<(typeof TABLES)[number], number>;

/** The columns an event or incident row needs, for writers outside the use cases. */
const CASE_ROW = `(status, owner, created, updated, read_groups, modify_groups, subject) values ('open', 'bulk', 1, 1, '[]', '[]', 'raw')`;

describe('postgres live counts', { skip: postgres.skip }, () => {
  const fixture = useFixture(postgres);

  const counted = async (): Promise<Counts> => {
    const { db } = fixture().store;
    const entries = await Promise.all(
      TABLES.map(async (table) => {
        const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)} where deleted_at is null`.execute(
          db,
        );
        return [table, Number(rows[0].n)];
      }),
    );
    return Object.fromEntries(entries);
  };

  const kept = async (): Promise<Counts> => {
    const rows = await fixture()
      .store.db.selectFrom('live_count')
      .select(['type', sql<number>`sum(n)`.as('n')])
      .groupBy('type')
      .execute();
    return Object.fromEntries(TABLES.map((table) => [table, Number(rows.find((r) => r.type === table)?.n ?? 0)])) as Counts;
  };

  /** Asserts that the counters say what count(*) says, and returns the counts. */
  const exact = async (after: string): Promise<Counts> => {
    const counts = await counted();
    assert.deepEqual(await kept(), counts, `after ${after}`);
    return counts;
  };

  it('counts single inserts, an alertgroup ingest of a thousand alerts and a promotion as count(*) does', async () => {
    const { app } = fixture();
    const before = await exact('migrating');
    const event = await createCase(app, ADMIN, 'event', { subject: 'one event' });
    await createCase(app, ADMIN, 'incident', { subject: 'one incident' });
    await addEntry(app, ADMIN, { target_type: 'event', target_id: event.id as number, body: 'one entry' });
    await exact('single inserts');
    const { alerts } = await ingestAlertgroup(app, ADMIN, {
      subject: 'thousand',
      data: Array.from({ length: 1000 }, (_, i) => ({ i })),
    });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => ingestAlertgroup(app, ADMIN, { subject: `shared ${i}`, data: [{ i }, { i }] })),
    );
    await createCase(app, ADMIN, 'event', { subject: 'promoted', promote_from: { alert: alerts.slice(0, 3) } });
    const after = await exact('ingest and promotion');
    assert.deepEqual(
      [after.alertgroup - before.alertgroup, after.alert - before.alert, after.event - before.event],
      [9, 1016, 2],
    );
  });

  it('counts soft deletes and undeletes, with the alerts and entries that go and come back with their alertgroup', async () => {
    const { app, clock } = fixture();
    const group = await ingestAlertgroup(app, ADMIN, { subject: 'goes', data: Array.from({ length: 5 }, (_, i) => ({ i })) });
    await addEntry(app, ADMIN, { target_type: 'alert', target_id: group.alerts[0], body: 'on an alert' });
    const event = await createCase(app, ADMIN, 'event', { subject: 'goes too' });
    await addEntry(app, ADMIN, { target_type: 'event', target_id: event.id as number, body: 'on the event' });
    const before = await exact('writing');
    clock.now += 1;
    await deleteObject(app, ADMIN, 'alertgroup', group.id);
    await deleteObject(app, ADMIN, 'event', event.id as number);
    const gone = await exact('deleting');
    assert.deepEqual(
      [before.alertgroup - gone.alertgroup, before.alert - gone.alert, before.event - gone.event, before.entry - gone.entry],
      [1, 5, 1, 2],
    );
    await updateObject(app, ADMIN, 'alertgroup', group.id, { undelete: true });
    await updateObject(app, ADMIN, 'event', event.id as number, { undelete: true });
    assert.deepEqual(await exact('undeleting'), before);
  });

  it('counts rows deleted outright, live or soft-deleted, and starts again from nothing after a truncate', async () => {
    const { app, store } = fixture();
    const event = await createCase(app, ADMIN, 'event', { subject: 'entries to remove' });
    const entries = [];
    for (const body of ['kept deleted', 'live', 'live too'])
      entries.push((await addEntry(app, ADMIN, { target_type: 'event', target_id: event.id as number, body })).id);
    await sql`update entry set deleted_at = 1 where id = ${entries[0]}`.execute(store.db);
    const before = await exact('soft-deleting one entry');
    // SCOT itself never deletes a row outright.
    await sql`delete from entry where id in (${sql.join(entries)})`.execute(store.db);
    assert.equal(before.entry - (await exact('deleting outright')).entry, 2);
    await sql`truncate entry`.execute(store.db);
    assert.equal((await exact('truncating')).entry, 0);
    await addEntry(app, ADMIN, { target_type: 'event', target_id: event.id as number, body: 'after the truncate' });
    assert.equal((await exact('writing after the truncate')).entry, 1);
  });

  it('eight transactions open at once count in shards of their own, never waiting on a counter, whatever order they write in', async () => {
    const { url } = fixture();
    const before = await exact('writing');
    const clients = Array.from({ length: 8 }, () => new pg.Client({ connectionString: url }));
    await Promise.all(clients.map((c) => c.connect()));
    try {
      // A counter row two open transactions shared would hold the second at its write: it fails instead of waiting.
      await Promise.all(clients.map((c) => c.query(`set lock_timeout = '2s'`)));
      await Promise.all(clients.map((c) => c.query('begin')));
      const tables = (i: number) => (i % 2 === 0 ? ['event', 'incident'] : ['incident', 'event']);
      await Promise.all(clients.map((c, i) => c.query(`insert into ${tables(i)[0]} ${CASE_ROW}`)));
      await Promise.all(clients.map((c, i) => c.query(`insert into ${tables(i)[1]} ${CASE_ROW}`)));
      await Promise.all(clients.map((c, i) => c.query(i === 7 ? 'rollback' : 'commit')));
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const after = await exact('eight transactions');
    assert.deepEqual([after.event - before.event, after.incident - before.incident], [7, 7]);
    const shards = await fixture().store.db.selectFrom('live_count').select('shard').where('type', '=', 'event').execute();
    assert.ok(shards.length >= 7, `${shards.length} shards`);
  });

  it('counts the use cases of concurrent requests, each on a connection of its own', async () => {
    const { app } = fixture();
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => createCase(app, ADMIN, 'event', { subject: `concurrent ${i}` })),
      ...Array.from({ length: 8 }, (_, i) => ingestAlertgroup(app, ADMIN, { subject: `concurrent ${i}`, data: [{ i }] })),
    ]);
    await exact('concurrent use cases');
  });
});
