import BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect, sql, type Expression, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { DialectRules } from './rules.js';

/** How many distinct SQL strings keep a prepared statement; ingest and lists use a few dozen. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 in WAL mode with one writer. Kysely prepares each query anew by default;
 * re-using prepared statements roughly halves the cost of small queries on the ingest path.
 */
export function sqliteDialect(file: string) {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // 64 MiB of page cache (the default is 2 MiB): the indexes that ingest touches stay in memory.
  db.pragma('cache_size = -65536');
  const statements = new Map<string, BetterSqlite3.Statement>();
  const database = {
    close: () => db.close(),
    prepare(text: string) {
      let statement = statements.get(text);
      if (statement) {
        statements.delete(text); // re-insert to keep the map in least-recently-used order
      } else {
        statement = db.prepare(text);
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      }
      statements.set(text, statement);
      return statement;
    },
  };
  return { dialect: new SqliteDialect({ database }), raw: db };
}

export const sqliteRules: DialectRules = {
  kind: 'sqlite',
  singleWriter: true,
  jsonArrayHasAny(column: Expression<string>, values: readonly string[]): RawBuilder<boolean> {
    if (values.length === 0) return sql<boolean>`0`;
    return sql<boolean>`exists (select 1 from json_each(${column}) where value in (${sql.join(values)}))`;
  },
  containsText(column: Expression<string>, needle: string): RawBuilder<boolean> {
    return sql<boolean>`${column} like ${'%' + escapeLike(needle) + '%'} escape '\\'`;
  },
  // The one writer needs no row locks: a claim is a single update statement.
  skipLocked: <DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>) => query,
  // One writer at a time: a write transaction already excludes every other.
  transactionLock: () => undefined,
  jsonWithKey(column: Expression<string>, key: string, value: string): RawBuilder<string> {
    // A quoted path member, so a key holding "." or "[" names one member; JSON string escapes quote its quotes.
    return sql<string>`json_set(${column}, ${'$.' + JSON.stringify(key)}, json(${value}))`;
  },
};

export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => '\\' + c);
