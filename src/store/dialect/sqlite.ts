import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs/promises';
import BetterSqlite3 from 'better-sqlite3';
import {
  SelectQueryNode,
  SqliteDialect,
  SqliteDriver,
  sql,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Expression,
  type QueryResult,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqliteDialectConfig,
} from 'kysely';
import type { DialectRules } from './rules.js';

/** How many distinct SQL strings keep a prepared statement; ingest and lists use a few dozen. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * When a commit reaches the disk: `full` before it is acknowledged, so it survives a power cut;
 * `normal` at the next checkpoint, so a power cut may lose the last commits, never the database.
 */
export type SqliteSync = 'full' | 'normal';

/**
 * better-sqlite3 in WAL mode with one writer. Kysely prepares each query anew by default;
 * re-using prepared statements roughly halves the cost of small queries on the ingest path.
 *
 * SQLite's own `synchronous = FULL` syncs the WAL inside each COMMIT, holding the event loop (and
 * every request) for the length of an fsync, up to tens of milliseconds on a busy disk. Instead
 * the connection runs NORMAL, which writes the WAL at COMMIT without syncing it, and with `full`
 * every write that ends outside a transaction (a COMMIT, or a lone statement) resolves only once
 * the WAL file is synced, off the event loop: the guarantee of FULL, one fsync shared by all the
 * commits made meanwhile.
 */
export function sqliteDialect(file: string, synchronous: SqliteSync = 'full', readonly = false) {
  const db = new BetterSqlite3(file, { readonly });
  if (!readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
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
  const config = { database };
  if (synchronous === 'normal' || readonly || file === ':memory:') return new SqliteDialect(config);
  const durable = sharedSync(() => syncFile(`${file}-wal`));
  return new (class extends SqliteDialect {
    override createDriver(): Driver {
      return new DurableDriver(config, db, durable);
    }
  })(config);
}

/** Set while work runs whose commits need not wait for the disk (`sqliteRules.relaxed`). */
const relaxedCommits = new AsyncLocalStorage<boolean>();

/** Kysely's SQLite driver, whose writes resolve once they are on disk, unless made in relaxed work. */
class DurableDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly db: BetterSqlite3.Database,
    private readonly durable: () => Promise<void>,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    return {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        const result = await connection.executeQuery<R>(query);
        // Inside a transaction nothing is committed yet; a read commits nothing.
        if (!this.db.inTransaction && !SelectQueryNode.is(query.query) && !relaxedCommits.getStore()) await this.durable();
        return result;
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
  }
}

/**
 * Runs `sync` for each caller, sharing runs: a sync already running may have started before the
 * caller's commit, so the caller waits for the next one, and all who call meanwhile share it.
 */
export function sharedSync(sync: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const start = () => {
    const run = sync().finally(() => {
      if (running === run) running = null;
    });
    running = run;
    return run;
  };
  return () => {
    if (!running) return start();
    next ??= running.then(
      () => {
        next = null;
        return start();
      },
      () => {
        next = null;
        return start();
      },
    );
    return next;
  };
}

async function syncFile(file: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    // No WAL yet: nothing was ever committed through it.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export const sqliteRules: DialectRules = {
  kind: 'sqlite',
  singleWriter: true,
  jsonArrayHasAny(column: Expression<string>, values: readonly string[]): RawBuilder<boolean> {
    if (values.length === 0) return sql<boolean>`0`;
    return sql<boolean>`exists (select 1 from json_each(${column}) where value in (${sql.join(values)}))`;
  },
  containsText(column: Expression<string>, needle: string): RawBuilder<boolean> {
    return sql<boolean>`${column} like ${`%${escapeLike(needle)}%`} escape '\\'`;
  },
  // The one writer needs no row locks: a claim is a single update statement.
  skipLocked: <DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>) => query,
  // One writer at a time: a write transaction already excludes every other.
  transactionLock: () => undefined,
  transactionLocks: () => undefined,
  // One SQLite file serves one machine: its in-process wake-ups are all there is.
  notify: async () => {},
  // One process holds the file: the in-process feed tells it of every commit.
  announceChanges: () => [],
  jsonWithKey(column: Expression<string>, key: string, value: string): RawBuilder<string> {
    // A quoted path member, so a key holding "." or "[" names one member; JSON string escapes quote its quotes.
    return sql<string>`json_set(${column}, ${`$.${JSON.stringify(key)}`}, json(${value}))`;
  },
  // The WAL is one file written in order: the next durable commit's sync covers relaxed ones before it.
  relaxed: (work) => relaxedCommits.run(true, work),
};

export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
