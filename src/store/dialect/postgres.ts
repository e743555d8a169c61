import pg from 'pg';
import { PostgresDialect, sql, type Expression, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { DialectRules } from './rules.js';
import { escapeLike } from './sqlite.js';
import { CHANGE_CHANNEL, encodeSeqs } from '../listen.js';

// int8 (counts, bigint times, sequences) as JS numbers: every value SCOT stores fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function postgresDialect(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle connection the server ends (restart, failover, pg_terminate_backend) is dropped by the
  // pool and replaced on next use; unheard, its 'error' event would crash the whole process.
  pool.on('error', () => {});
  return { dialect: new PostgresDialect({ pool }), pool };
}

export const postgresRules: DialectRules = {
  kind: 'postgres',
  singleWriter: false,
  jsonArrayHasAny(column: Expression<string>, values: readonly string[]): RawBuilder<boolean> {
    if (values.length === 0) return sql<boolean>`false`;
    return sql<boolean>`(${column})::jsonb ?| array[${sql.join(values)}]::text[]`;
  },
  containsText(column: Expression<string>, needle: string): RawBuilder<boolean> {
    return sql<boolean>`${column} ilike ${`%${escapeLike(needle)}%`} escape '\\'`;
  },
  skipLocked: <DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>) => query.forUpdate().skipLocked(),
  transactionLock(key: string): RawBuilder<unknown> {
    return sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
  },
  async notify(db, channel, message) {
    await sql`select pg_notify(${channel}, ${message})`.execute(db);
  },
  async listen(url, channel, heard) {
    const client = new pg.Client({ connectionString: url });
    // A lost listener only delays other nodes' notices until the next poll: say so, and never crash for it.
    client.on('error', (err) => console.error(`listening on ${channel}: ${err.message}; other nodes are heard at the next poll`));
    client.on('notification', (notice) => heard(notice.payload ?? ''));
    await client.connect();
    await client.query(`listen ${client.escapeIdentifier(channel)}`);
    return () => client.end();
  },
  // PostgreSQL delivers a NOTIFY only when its transaction commits, and never one that rolls back.
  announceChanges: (seqs: readonly number[]) =>
    encodeSeqs(seqs).map((payload) => sql`select pg_notify(${CHANGE_CHANNEL}, ${payload})`),
  jsonWithKey(column: Expression<string>, key: string, value: string): RawBuilder<string> {
    return sql<string>`(${column}::jsonb || jsonb_build_object(${key}::text, ${value}::jsonb))::text`;
  },
  // Each transaction has a connection of its own, and PostgreSQL shares WAL flushes between them: a
  // background commit that waits for its flush holds up no other writer.
  relaxed: (work) => work(),
};
