import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

type Table = CreateTableBuilder<string, never>;

/** The first schema: workflow objects, labels, users and groups, credentials and the change log. */
export async function up(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
  const withId = (table: Table, serial: 'serial' | 'bigserial' = 'serial') =>
    kind === 'postgres'
      ? table.addColumn('id', serial, (c) => c.primaryKey())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  // Link tables are all key: on SQLite, without a rowid, each row is stored once instead of twice.
  const withoutRowid = (table: Table) => (kind === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table);
  const tracked = (table: Table) =>
    withId(table)
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint')
      .addColumn('rev', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('read_groups', 'text', (c) => c.notNull())
      .addColumn('modify_groups', 'text', (c) => c.notNull());

  await tracked(db.schema.createTable('alertgroup'))
    .addColumn('message_id', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('columns', 'text', (c) => c.notNull())
    .addColumn('alert_count', 'integer', (c) => c.notNull())
    .addColumn('open_count', 'integer', (c) => c.notNull())
    .addColumn('closed_count', 'integer', (c) => c.notNull())
    .addColumn('promoted_count', 'integer', (c) => c.notNull())
    .addColumn('view_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('alertgroup_message_id').unique().on('alertgroup').column('message_id').execute();

  await tracked(db.schema.createTable('event'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('promotion_id', 'integer')
    .addColumn('view_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Partial: most rows are never promoted, and ingest should not pay to index their nulls.
  await db.schema
    .createIndex('event_promotion')
    .on('event')
    .column('promotion_id')
    .where('promotion_id', 'is not', null)
    .execute();

  await tracked(db.schema.createTable('alert'))
    .addColumn('alertgroup_id', 'integer', (c) => c.notNull().references('alertgroup.id'))
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('promotion_id', 'integer')
    .execute();
  await db.schema.createIndex('alert_alertgroup').on('alert').column('alertgroup_id').execute();
  await db.schema
    .createIndex('alert_promotion')
    .on('alert')
    .column('promotion_id')
    .where('promotion_id', 'is not', null)
    .execute();

  await tracked(db.schema.createTable('incident'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('type', 'text')
    .addColumn('category', 'text')
    .addColumn('sensitivity', 'text')
    .addColumn('occurred', 'bigint')
    .addColumn('discovered', 'bigint')
    .addColumn('reported', 'bigint')
    .addColumn('closed', 'bigint')
    .addColumn('view_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await tracked(db.schema.createTable('entry'))
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'integer', (c) => c.notNull())
    .addColumn('parent_id', 'integer', (c) => c.references('entry.id'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('class', 'text', (c) => c.notNull())
    .addColumn('task_status', 'text')
    .addColumn('task_who', 'text')
    .addColumn('task_when', 'bigint')
    .execute();
  await db.schema.createIndex('entry_target').on('entry').columns(['target_type', 'target_id']).execute();

  for (const kindOfLabel of ['tag', 'source']) {
    await withId(db.schema.createTable(kindOfLabel))
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable(`${kindOfLabel}_link`)
      .addColumn('label_id', 'integer', (c) => c.notNull().references(`${kindOfLabel}.id`).onDelete('cascade'))
      .addColumn('target_type', 'text', (c) => c.notNull())
      .addColumn('target_id', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${kindOfLabel}_link_pk`, ['label_id', 'target_type', 'target_id'])
      .$call(withoutRowid)
      .execute();
    await db.schema
      .createIndex(`${kindOfLabel}_link_target`)
      .on(`${kindOfLabel}_link`)
      .columns(['target_type', 'target_id'])
      .execute();
  }

  await withId(db.schema.createTable('user'))
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('fullname', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('updated', 'bigint', (c) => c.notNull())
    .addColumn('last_login', 'bigint')
    .execute();

  await withId(db.schema.createTable('group'))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_group')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('group_id', 'integer', (c) => c.notNull().references('group.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('user_group_pk', ['user_id', 'group_id'])
    .$call(withoutRowid)
    .execute();

  await withId(db.schema.createTable('apikey'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('last_used', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('session')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('user.id').onDelete('cascade'))
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('expires', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .execute();

  const change = db.schema.createTable('change');
  await (kind === 'postgres'
    ? change.addColumn('seq', 'bigserial', (c) => c.primaryKey())
    : change.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
  )
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('who', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('diff', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('change_target').on('change').columns(['type', 'target_id', 'seq']).execute();
}
