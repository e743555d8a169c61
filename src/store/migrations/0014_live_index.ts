import { sql, type Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';
import { TABLES } from './0010_list_index.js';

/**
 * A partial index on the id of the rows not deleted, which is what every list asks for in its default
 * order. A deep page by `offset` skips its rows in this narrow index instead of in the table: at a
 * million alerts, SQLite answered `/alert?offset=999900` in 156 ms walking the table's rows, and in 21
 * ms walking this index.
 */
export async function up(db: Kysely<unknown>, _kind: StoreKind): Promise<void> {
  for (const table of TABLES) {
    await db.schema.createIndex(`${table}_live`).on(table).column('id').where(sql.ref('deleted_at'), 'is', null).execute();
  }
}
