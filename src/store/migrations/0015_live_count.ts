import { sql, type Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';
import { TABLES } from './0010_list_index.js';

/**
 * The first key of the advisory locks that hand out counter shards; its two-key form is a key space
 * apart from the one-key locks of `transactionLock`.
 */
const SHARD_LOCK = 15;

/**
 * PostgreSQL keeps, in `live_count`, how many rows of each workflow table are live (not deleted), in
 * the transaction of each write: an admin's list of them all is counted exactly without reading it,
 * and a deep page by offset is read from the nearer end of `<table>_live` (at a million alerts,
 * PostgreSQL skipped the million entries before `/alert?offset=999900` at 35 ns each, 51 ms at p99).
 *
 * Triggers run once a statement, on its transition tables: a 1000-row insert adds 1000 to one
 * counter row. A transaction writes its counts into a shard of its own: the lowest whose advisory
 * lock it gets without waiting, kept until it ends, so no two open transactions ever write one
 * counter row. A writer never waits on a counter, so counters add no hot row and no deadlock; there
 * are at most as many shards as transactions ever wrote at once. A TRUNCATE empties the table's counts.
 * The rows there are counted once, here; SQLite gets no counters (it skips index entries quickly enough).
 */
export async function up(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
  if (kind === 'sqlite') return;
  await db.schema
    .createTable('live_count')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('shard', 'integer', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('live_count_key', ['type', 'shard'])
    .execute();
  // The shard this transaction holds is kept in a setting local to it; '' once a transaction that set it has ended.
  await sql`create function live_count_add(counted text, delta bigint) returns void language plpgsql as $$
    declare
      held integer := nullif(current_setting('scot.live_count_shard', true), '')::integer;
    begin
      if delta = 0 then return; end if;
      if held is null then
        held := 0;
        while not pg_try_advisory_xact_lock(${sql.lit(SHARD_LOCK)}, held) loop held := held + 1; end loop;
        perform set_config('scot.live_count_shard', held::text, true);
      end if;
      insert into live_count as c (type, shard, n) values (counted, held, delta)
        on conflict (type, shard) do update set n = c.n + excluded.n;
    end $$`.execute(db);
  await sql`create function live_count_inserted() returns trigger language plpgsql as $$ begin
      perform live_count_add(tg_table_name, (select count(*) from new_rows where deleted_at is null));
      return null;
    end $$`.execute(db);
  // Deleting or undeleting is an update of deleted_at; every other update leaves the count as it was.
  await sql`create function live_count_updated() returns trigger language plpgsql as $$ begin
      perform live_count_add(tg_table_name,
        (select count(*) from new_rows where deleted_at is null) - (select count(*) from old_rows where deleted_at is null));
      return null;
    end $$`.execute(db);
  await sql`create function live_count_deleted() returns trigger language plpgsql as $$ begin
      perform live_count_add(tg_table_name, -(select count(*) from old_rows where deleted_at is null));
      return null;
    end $$`.execute(db);
  // A truncating transaction holds the table alone: no open transaction has written its counter rows.
  await sql`create function live_count_truncated() returns trigger language plpgsql as $$ begin
      delete from live_count where type = tg_table_name;
      return null;
    end $$`.execute(db);
  for (const table of TABLES) {
    const on = sql.table(table);
    await sql`create trigger ${sql.id(`${table}_live_inserted`)} after insert on ${on}
      referencing new table as new_rows for each statement execute function live_count_inserted()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_live_updated`)} after update on ${on}
      referencing old table as old_rows new table as new_rows for each statement execute function live_count_updated()`.execute(
      db,
    );
    await sql`create trigger ${sql.id(`${table}_live_deleted`)} after delete on ${on}
      referencing old table as old_rows for each statement execute function live_count_deleted()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_live_truncated`)} after truncate on ${on}
      for each statement execute function live_count_truncated()`.execute(db);
    // The triggers' lock on the table holds writers off until this commits, so none is counted twice or missed.
    await sql`insert into live_count (type, shard, n) select ${table}, 0, count(*) from ${on} where deleted_at is null`.execute(
      db,
    );
  }
}
