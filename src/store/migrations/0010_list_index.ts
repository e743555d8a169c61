import { sql, type Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

/** The workflow tables; each is listed with the same filters and sorts. */
export const TABLES = ['alertgroup', 'alert', 'event', 'incident', 'entry'] as const;

/**
 * Indexes that follow what lists offer, so that a page is read in index order and stops after its
 * last row instead of sorting the table: each sort field (with id, the tie-break and the keyset
 * cursor's last term), and the two common filters with the default order and with a sort on
 * `created`. Deleted rows are few: a partial index on id finds them, newest first, for `deleted=true` lists.
 * Labels were indexed from both sides already (`*_link` by label and by target).
 */
const INDEXES: Record<string, string[]> = {
  status: ['status', 'id'],
  owner: ['owner', 'id'],
  created: ['created', 'id'],
  updated: ['updated', 'id'],
  status_created: ['status', 'created', 'id'],
  owner_created: ['owner', 'created', 'id'],
};

export async function up(db: Kysely<unknown>, _kind: StoreKind): Promise<void> {
  for (const table of TABLES) {
    for (const [name, columns] of Object.entries(INDEXES)) {
      await db.schema.createIndex(`${table}_${name}`).on(table).columns(columns).execute();
    }
    await db.schema.createIndex(`${table}_deleted`).on(table).column('id').where(sql.ref('deleted_at'), 'is not', null).execute();
  }
}
