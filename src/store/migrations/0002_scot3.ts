import type { Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

/**
 * What SCOT 3 clients send and read: a TLP marking on every workflow object, when an alertgroup's
 * alerts happened (apart from when they were stored) and the message they came in, and an
 * incident's security category and whether it must be reported.
 */
export async function up(db: Kysely<unknown>, _kind: StoreKind): Promise<void> {
  for (const table of ['alertgroup', 'alert', 'event', 'incident', 'entry']) {
    await db.schema
      .alterTable(table)
      .addColumn('tlp', 'text', (c) => c.notNull().defaultTo('unset'))
      .execute();
  }
  await db.schema.alterTable('alertgroup').addColumn('occurred', 'bigint').execute();
  for (const column of ['body', 'body_plain']) await db.schema.alterTable('alertgroup').addColumn(column, 'text').execute();
  await db.schema.alterTable('incident').addColumn('security_category', 'text').execute();
  await db.schema
    .alterTable('incident')
    .addColumn('reportable', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
