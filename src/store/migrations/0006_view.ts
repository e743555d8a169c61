import type { Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

/** Who last viewed an object, when and from where: one row per object and user (SCOT 3's `view_history`). */
export async function up(db: Kysely<unknown>, _kind: StoreKind): Promise<void> {
  await db.schema
    .createTable('view_history')
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'integer', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('viewed_at', 'bigint', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('view_history_key', ['target_type', 'target_id', 'username'])
    .execute();
}
