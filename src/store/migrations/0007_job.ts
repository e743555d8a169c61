import { sql, type Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

/** The durable job queue, the cron schedules' next due times, and the change-log consumers' cursors. */
export async function up(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
  const job = db.schema.createTable('job');
  await (kind === 'postgres'
    ? job.addColumn('id', 'bigserial', (c) => c.primaryKey())
    : job.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
  )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('key', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('progress_done', 'integer')
    .addColumn('progress_total', 'integer')
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('updated', 'bigint', (c) => c.notNull())
    .addColumn('finished', 'bigint')
    .execute();
  // Workers look for due jobs of one kind; finished jobs are most rows and never looked for.
  await db.schema
    .createIndex('job_due')
    .on('job')
    .columns(['kind', 'run_at', 'id'])
    .where(sql.ref('status'), 'in', sql`('pending', 'failed')`)
    .execute();
  await db.schema.createIndex('job_lease').on('job').column('lease_until').where(sql.ref('status'), '=', 'running').execute();
  await db.schema.createIndex('job_finished').on('job').columns(['status', 'finished']).execute();
  // A key de-duplicates only jobs still to run: one reflair per entity type at a time, not one ever.
  await db.schema
    .createIndex('job_key')
    .unique()
    .on('job')
    .column('key')
    .where(sql.ref('status'), 'in', sql`('pending', 'running', 'failed')`)
    .execute();

  await db.schema
    .createTable('job_schedule')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('next_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('cursor')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('updated', 'bigint', (c) => c.notNull())
    .execute();
}
