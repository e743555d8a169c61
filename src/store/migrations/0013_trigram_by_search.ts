import { sql, type Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

/**
 * SQLite's trigram table of entity values is filled by search indexing, no longer by a trigger on
 * `entity`: the trigger put an FTS5 insert into every flair transaction, a third of flair's time on
 * SQLite's one writer. The table now keeps its own copy of each value (so the indexer writes it with
 * `insert or replace`, any number of times), keyed by the entity's id. PostgreSQL's GIN index stays.
 */
export async function up(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
  if (kind === 'postgres') return;
  for (const trigger of ['entity_trigram_insert', 'entity_trigram_delete', 'entity_trigram_update'])
    await sql`drop trigger if exists ${sql.raw(trigger)}`.execute(db);
  await sql`drop table if exists entity_trigram`.execute(db);
  await sql`create virtual table entity_trigram using fts5(value, tokenize = 'trigram')`.execute(db);
  await sql`insert into entity_trigram (rowid, value) select id, value from entity`.execute(db);
}
