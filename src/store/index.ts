import fs from 'node:fs';
import path from 'node:path';
import { Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import type { DialectRules, StoreKind } from './dialect/rules.js';
import { sqliteDialect, sqliteRules, type SharedWriter, type SqliteSync } from './dialect/sqlite.js';
import { postgresDialect, postgresRules } from './dialect/postgres.js';
import { readThreadsDialect } from './dialect/read-threads.js';
import { migrateToLatest } from './migrate.js';
import { listenForChanges, sharedListener, type ChangeListener, type ChangeWatch, type Listener } from './listen.js';

export type Executor = Kysely<Database>;

/** An open database: the query builder, the dialect's rules, and how to close it. */
export interface Store {
  db: Executor;
  /**
   * Connections of their own for reads outside any transaction, where the database serves readers
   * beside its writer (SQLite in WAL mode): a list never waits for a group commit to finish, and on
   * reading threads (`sqliteReadThreads`) never holds the event loop. Absent where `db` already reads
   * concurrently (PostgreSQL's pool).
   */
  reads?: Executor;
  rules: DialectRules;
  kind: StoreKind;
  /** Where the database lives, for messages (never the password of a URL). */
  describe: string;
  close(): Promise<void>;
  /**
   * Hears the commits of every process sharing the database, where several may (PostgreSQL); absent
   * where one process holds it, whose in-process feed hears them all.
   */
  watchChanges?(watch: ChangeWatch): Promise<ChangeListener>;
  /**
   * Hears every process's notices on a channel (PostgreSQL `LISTEN`), all channels of this process on
   * one connection; absent where one process holds the database.
   */
  listen?: Listener['listen'];
}

/** Where a read outside any transaction goes: the reading connections where the store has them, else `db`. */
export const readsOf = (store: Store): Executor => store.reads ?? store.db;

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

/**
 * MiB of page cache each SQLite connection holds at most (SQLite's own default is 2). The operating
 * system caches the file as well, so a page the cache lost costs a copy, not a disk read; the cache
 * fills as data is touched and stays full, so its size is memory the server keeps for good.
 */
export const DEFAULT_SQLITE_CACHE_MIB = 16;

/**
 * Threads that read an SQLite file outside transactions. Two: a slow list or search leaves the other
 * to the next reader; each thread costs its page cache and a few MiB.
 */
export const DEFAULT_SQLITE_READ_THREADS = 2;

/** Caps the page cache of the SQLite connection behind `db` at `mib`. */
const limitPageCache = (db: Executor, mib: number) => sql.raw(`pragma cache_size = ${-mib * 1024}`).execute(db);

/**
 * Opens `databaseUrl` (a `postgres://` URL, or a SQLite file path, optionally `sqlite:`-prefixed)
 * and brings its schema up to date unless told not to.
 */
export async function openStore(
  databaseUrl: string,
  options: {
    migrate?: boolean;
    sqliteSync?: SqliteSync;
    sqliteCacheMiB?: number;
    checkpoints?: boolean;
    shared?: SharedWriter;
    sliceMs?: number;
    /** Threads reading an SQLite file (DEFAULT_SQLITE_READ_THREADS); 0 reads on the calling thread. */
    sqliteReadThreads?: number;
  } = {},
): Promise<Store> {
  const cacheMiB = options.sqliteCacheMiB ?? DEFAULT_SQLITE_CACHE_MIB;
  let store: Store;
  if (isPostgresUrl(databaseUrl)) {
    const { dialect } = postgresDialect(databaseUrl);
    const db = new Kysely<Database>({ dialect });
    const listener = sharedListener(databaseUrl);
    store = {
      db,
      rules: postgresRules,
      kind: 'postgres',
      describe: redactUrl(databaseUrl),
      close: () => db.destroy(),
      listen: (channel, hearer) => listener.listen(channel, hearer),
      watchChanges: (watch) =>
        listenForChanges(listener, (channel, payload) => postgresRules.notify(db, channel, payload), watch),
    };
  } else {
    const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Kysely<Database>({
      dialect: sqliteDialect(file, {
        synchronous: options.sqliteSync,
        checkpoints: options.checkpoints,
        shared: options.shared,
        sliceMs: options.sliceMs,
      }),
    });
    await limitPageCache(db, cacheMiB);
    store = { db, rules: sqliteRules, kind: 'sqlite', describe: path.resolve(file), close: () => db.destroy() };
  }
  if (options.migrate !== false) {
    try {
      await migrateToLatest(store.db, store.kind);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  if (store.kind === 'sqlite' && file !== ':memory:' && fs.existsSync(file)) {
    // Opened once the schema is there: a read-only connection cannot make the file WAL.
    const threads = options.sqliteReadThreads ?? DEFAULT_SQLITE_READ_THREADS;
    const reads = new Kysely<Database>({
      dialect: threads > 0 ? readThreadsDialect(file, threads, cacheMiB) : sqliteDialect(file, { readonly: true }),
    });
    // Reading threads set their own caches, and start with the first read.
    if (threads === 0) await limitPageCache(reads, cacheMiB);
    const closeWriter = store.close;
    const close = async () => {
      await reads.destroy();
      await closeWriter();
    };
    store = { ...store, reads, close };
  }
  return store;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres';
  }
}
