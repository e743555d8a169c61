import os from 'node:os';
import pg from 'pg';
import { PostgresDialect, sql, type Expression, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { DialectRules } from './rules.js';
import { escapeLike } from './sqlite.js';
import { CHANGE_CHANNEL, encodeSeqs } from '../listen.js';
import { preparedName } from './prepared.js';

// int8 (counts, bigint times, sequences) as JS numbers: every value SCOT stores fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * Connections per process. Ingest writes through one connection at a time (group commit); the
 * others serve reads and other use cases. More busy backends than about twice the cores only queue
 * in PostgreSQL instead of in the pool, and several API nodes share its `max_connections`.
 */
export const POOL_SIZE = Math.max(6, 2 * os.availableParallelism() + 2);

export function postgresDialect(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  // An idle connection the server ends (restart, failover, pg_terminate_backend) is dropped by the
  // pool and replaced on next use; unheard, its 'error' event would crash the whole process.
  pool.on('error', () => {});
  pool.on('connect', prepareNamedTexts);
  return { dialect: new PostgresDialect({ pool }), pool };
}

/**
 * Runs the texts marked by `prepareText` as named statements on this connection: parsed and
 * planned once, then only bound and executed.
 */
function prepareNamedTexts(client: pg.PoolClient) {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof text === 'string' && Array.isArray(values) ? preparedName(text) : undefined;
    return name ? query({ name, text, values }, callback) : query(text, values, callback);
  }) as typeof client.query;
}

export const postgresRules: DialectRules = {
  kind: 'postgres',
  singleWriter: false,
  liveCounts: true,
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
  transactionLocks(keys: readonly string[]): RawBuilder<unknown> | undefined {
    if (keys.length === 0) return undefined;
    // The subquery sorts the keys' locks and `offset 0` keeps it from being merged into the outer
    // query, so the locks are taken one after the other in that order.
    return sql`select count(pg_advisory_xact_lock(k)) from (select hashtextextended(m, 0) as k from unnest(${[...keys]}::text[]) as m order by 1 offset 0) as sorted`;
  },
  async notify(db, channel, message) {
    await sql`select pg_notify(${channel}, ${message})`.execute(db);
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
