import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { createApp } from '../../src/app/context.js';
import { getObject } from '../../src/app/object.js';
import { Migrator, sql, type Kysely } from 'kysely';
import { openStore, type Store } from '../../src/store/index.js';
import * as initial from '../../src/store/migrations/0001_initial.js';
import { LATEST_SCHEMA_VERSION, migrateToLatest } from '../../src/store/migrate.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, testConfig } from '../helpers/store.js';

const TABLES = [
  'alertgroup',
  'alert',
  'event',
  'incident',
  'entry',
  'tag',
  'source',
  'tag_link',
  'source_link',
  'user',
  'group',
  'user_group',
  'apikey',
  'session',
  'change',
  'job',
  'job_schedule',
  'cursor',
  'view_history',
] as const;

/** Every migration, in the order applied. */
const MIGRATION_NAMES = [
  '0001_initial',
  '0002_scot3',
  '0005_message_id_per_reader',
  '0006_view',
  '0007_job',
  '0008_entity',
  '0009_search',
  '0010_list_index',
  '0012_indicator_trigram',
  '0013_trigram_by_search',
  '0014_live_index',
  '0015_live_count',
];

const appliedNames = async (db: any): Promise<string[]> =>
  (await db.selectFrom('schema_migration').select('name').orderBy('name').execute()).map((r: { name: string }) => r.name);

/** Brings a new database to the schema as 0001 left it. */
async function migrateToFirst(store: Store): Promise<void> {
  const firstOnly = new Migrator({
    db: store.db,
    provider: {
      getMigrations: async () => ({ '0001_initial': { up: (db: Kysely<any>) => initial.up(db, store.kind) } }),
    },
    migrationTableName: 'schema_migration',
    migrationLockTableName: 'schema_migration_lock',
  });
  assert.equal((await firstOnly.migrateToLatest()).error, undefined);
}

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    let database: Awaited<ReturnType<typeof backend.create>>;
    before(async () => {
      database = await backend.create();
    });
    after(async () => {
      await database?.dispose();
    });

    it('a fresh database gets every migration, once', async () => {
      const store = await openStore(database.url, { migrate: false });
      try {
        assert.deepEqual(await migrateToLatest(store.db, store.kind), MIGRATION_NAMES);
        assert.equal(LATEST_SCHEMA_VERSION, MIGRATION_NAMES.at(-1));
        assert.deepEqual(await appliedNames(store.db), MIGRATION_NAMES);
        assert.deepEqual(await migrateToLatest(store.db, store.kind), [], 'a second run applies nothing');
        assert.deepEqual(await appliedNames(store.db), MIGRATION_NAMES);
        for (const table of TABLES) {
          const row = await store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow();
          assert.equal(Number(row.n), 0, `${table} exists and is empty`);
        }
      } finally {
        await store.close();
      }
    });

    it('reopening a migrated database keeps its data and applies nothing', async () => {
      const config = testConfig(database.dataDir, database.url);
      let first = await openStore(database.url);
      let alertgroupId: number;
      try {
        const result = await ingestAlertgroup(createApp(first, config), ADMIN, {
          subject: 'kept across restarts',
          data: [{ ip: '10.0.0.1' }],
        });
        alertgroupId = result.id;
      } finally {
        await first.close();
      }
      first = await openStore(database.url);
      try {
        assert.deepEqual(await migrateToLatest(first.db, first.kind), []);
        const record = await getObject(createApp(first, config), ADMIN, 'alertgroup', alertgroupId);
        assert.equal(record.subject, 'kept across restarts');
        assert.equal(record.alert_count, 1);
        assert.deepEqual(await appliedNames(first.db), MIGRATION_NAMES);
      } finally {
        await first.close();
      }
    });

    it('a database from before SCOT 3 compatibility keeps its rows, each marked tlp unset', async () => {
      const old = await backend.create();
      try {
        const store = await openStore(old.url, { migrate: false });
        try {
          // The schema as 0001 left it, with one event in it.
          await migrateToFirst(store);
          await sql`insert into event (status, owner, created, updated, read_groups, modify_groups, subject) values ('open', 'alice', 1, 1, '[]', '[]', 'old event')`.execute(
            store.db,
          );
          assert.deepEqual(await migrateToLatest(store.db, store.kind), MIGRATION_NAMES.slice(1));
          const event = await store.db.selectFrom('event').select(['subject', 'tlp']).executeTakeFirstOrThrow();
          assert.deepEqual(event, { subject: 'old event', tlp: 'unset' });
        } finally {
          await store.close();
        }
      } finally {
        await old.dispose();
      }
    });

    it('counts the live rows already there once, deleted ones left out', {
      skip: backend.name === 'sqlite' && 'SQLite keeps no live counts',
    }, async () => {
      const old = await backend.create();
      try {
        const store = await openStore(old.url, { migrate: false });
        try {
          await migrateToFirst(store);
          await sql`insert into event (status, owner, created, updated, read_groups, modify_groups, subject, deleted_at)
            values ('open', 'alice', 1, 1, '[]', '[]', 'live', null), ('open', 'alice', 1, 1, '[]', '[]', 'live', null),
                   ('open', 'alice', 1, 1, '[]', '[]', 'deleted', 2)`.execute(store.db);
          await migrateToLatest(store.db, store.kind);
          const counts = await store.db.selectFrom('live_count').select(['type', 'n']).orderBy('type').execute();
          assert.deepEqual(counts, [
            { type: 'alert', n: 0 },
            { type: 'alertgroup', n: 0 },
            { type: 'entry', n: 0 },
            { type: 'event', n: 2 },
            { type: 'incident', n: 0 },
          ]);
        } finally {
          await store.close();
        }
      } finally {
        await old.dispose();
      }
    });

    it('opening without migrating leaves the schema as it is', async () => {
      const fresh = await backend.create();
      try {
        const store = await openStore(fresh.url, { migrate: false });
        try {
          await assert.rejects(store.db.selectFrom('alertgroup').selectAll().execute(), 'no tables before migrating');
        } finally {
          await store.close();
        }
        const migrated = await openStore(fresh.url);
        try {
          assert.deepEqual(await appliedNames(migrated.db), MIGRATION_NAMES);
        } finally {
          await migrated.close();
        }
      } finally {
        await fresh.dispose();
      }
    });
  });
}
