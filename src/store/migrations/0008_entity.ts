import type { Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

/** Entities, where they appeared, each object's flair, the allow-list and admin-defined entity types. */
export async function up(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
  const id = <T extends { addColumn: (...args: any[]) => T }>(table: T): T =>
    kind === 'postgres'
      ? table.addColumn('id', 'bigserial', (c: any) => c.primaryKey())
      : table.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());

  await id(db.schema.createTable('entity'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('updated', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('entity_type_value', ['type', 'value'])
    .execute();
  // Looked up by value alone too (`GET /entity?value=`).
  await db.schema.createIndex('entity_value').on('entity').column('value').execute();

  await db.schema
    .createTable('appearance')
    .addColumn('entity_id', 'bigint', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('first_seen', 'bigint', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('appearance_key', ['entity_id', 'target_type', 'target_id'])
    .execute();
  // The entities of one object.
  await db.schema.createIndex('appearance_target').on('appearance').columns(['target_type', 'target_id']).execute();

  await db.schema
    .createTable('flair')
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'bigint', (c) => c.notNull())
    .addColumn('source_hash', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('updated', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('flair_key', ['target_type', 'target_id'])
    .execute();

  await id(db.schema.createTable('entity_allow'))
    .addColumn('value', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .execute();

  await id(db.schema.createTable('entitytype'))
    .addColumn('value', 'text', (c) => c.notNull().unique())
    .addColumn('match', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('job_id', 'bigint')
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('updated', 'bigint', (c) => c.notNull())
    .execute();
}
