import { sql, type Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

/**
 * A trigram index of entity values, so a search for part of an indicator (`*.example.com`) finds the
 * entities it fits without reading them all. PostgreSQL uses the `pg_trgm` extension (in
 * postgresql-contrib); where it cannot be created the search still answers, reading the entity
 * table. SQLite keeps an FTS5 trigram table over `entity.value`, in step through triggers.
 */
export async function up(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
  if (kind === 'postgres') {
    // A failed CREATE EXTENSION would end the migration's transaction: try it behind a savepoint.
    await sql`savepoint indicator_trigram`.execute(db);
    try {
      await sql`create extension if not exists pg_trgm`.execute(db);
    } catch (err) {
      await sql`rollback to savepoint indicator_trigram`.execute(db);
      console.warn(
        `pg_trgm could not be created (${(err as Error).message}): searches for part of an indicator will read the whole ` +
          'entity table. Install postgresql-contrib, then as a superuser: create extension pg_trgm; ' +
          'create index entity_value_trigram on entity using gin (value gin_trgm_ops);',
      );
      return;
    }
    await sql`release savepoint indicator_trigram`.execute(db);
    await sql`create index entity_value_trigram on entity using gin (value gin_trgm_ops)`.execute(db);
    return;
  }
  await sql`create virtual table entity_trigram using fts5(value, content = 'entity', content_rowid = 'id', tokenize = 'trigram')`.execute(
    db,
  );
  await sql`create trigger entity_trigram_insert after insert on entity begin
    insert into entity_trigram (rowid, value) values (new.id, new.value); end`.execute(db);
  await sql`create trigger entity_trigram_delete after delete on entity begin
    insert into entity_trigram (entity_trigram, rowid, value) values ('delete', old.id, old.value); end`.execute(db);
  await sql`create trigger entity_trigram_update after update of value on entity begin
    insert into entity_trigram (entity_trigram, rowid, value) values ('delete', old.id, old.value);
    insert into entity_trigram (rowid, value) values (new.id, new.value); end`.execute(db);
  await sql`insert into entity_trigram (entity_trigram) values ('rebuild')`.execute(db);
}
