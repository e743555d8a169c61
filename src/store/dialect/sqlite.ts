import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type Expression,
  type QueryResult,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqliteDialectConfig,
} from 'kysely';
import { InListSqliteDialect } from './in-lists.js';
import type { DialectRules } from './rules.js';
import type { ThreadLock } from './thread-lock.js';

/** How many distinct SQL strings keep a prepared statement; ingest and lists use a few dozen. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * When a commit reaches the disk: `full` before it is acknowledged, so it survives a power cut;
 * `normal` at the next checkpoint, so a power cut may lose the last commits, never the database.
 */
export type SqliteSync = 'full' | 'normal';

/** How a connection is opened. */
export interface SqliteOptions {
  synchronous?: SqliteSync;
  /** A reader: it writes nothing, and reads beside the writer. */
  readonly?: boolean;
  /** Whether this writer checkpoints the WAL (in a thread of its own); a second writer in the process leaves it to the first. */
  checkpoints?: boolean;
  /** Where several threads of one process write: the lock they share, and this thread's slot in it. */
  shared?: SharedWriter;
  /** How long a transaction runs before it lets the event loop turn (default TRANSACTION_SLICE_MS). */
  sliceMs?: number;
}

/** The lock the writers of a process's threads share, and the slot of this thread's writer. */
export interface SharedWriter {
  lock: ThreadLock;
  slot: number;
}

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
export function sqliteDialect(file: string, options: SqliteOptions = {}) {
  const { synchronous = 'full', readonly = false, checkpoints = true } = options;
  const db = new BetterSqlite3(file, { readonly });
  if (!readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const onDisk = file !== ':memory:';
  // The writer's commits no longer copy the WAL into the database now and then (a checkpoint, with
  // its fsync, would hold the event loop for tens of milliseconds): a thread of its own does it.
  if (!readonly && onDisk && !checkpoints) db.pragma('wal_autocheckpoint = 0');
  const checkpointer = !readonly && onDisk && checkpoints ? startCheckpointer(file, db) : undefined;
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
  if (readonly) return new InListSqliteDialect(config);
  const durable = synchronous === 'full' && onDisk ? sharedSync(() => syncFile(`${file}-wal`)) : undefined;
  return new (class extends InListSqliteDialect {
    override createDriver(): Driver {
      return new WriterDriver(config, db, durable, options, checkpointer, file);
    }
  })(config);
}

/** How many writers this thread has open on each file. */
const writersOn = new Map<string, number>();

/** Set while work runs whose commits need not wait for the disk (`sqliteRules.relaxed`). */
const relaxedCommits = new AsyncLocalStorage<boolean>();

/**
 * How long a transaction runs its statements back to back before it lets the event loop turn:
 * better-sqlite3 answers synchronously, so a long transaction (a large group commit, a batch of
 * flair or search indexing) would otherwise keep every request waiting until it ends. The one
 * writer is still held meanwhile: other writes wait for the transaction, reads go on beside it.
 */
export const TRANSACTION_SLICE_MS = 5;

/**
 * Kysely's SQLite driver for the writer: inside a transaction it gives the event loop a turn every
 * few milliseconds, and with `durable` its writes resolve once they are on disk, unless made in
 * relaxed work.
 */
class WriterDriver extends SqliteDriver {
  /** When the statements of the current transaction last let the event loop turn. */
  private sliceStart = 0;

  constructor(
    config: SqliteDialectConfig,
    private readonly db: BetterSqlite3.Database,
    private readonly durable: (() => Promise<void>) | undefined,
    private readonly options: Pick<SqliteOptions, 'shared' | 'sliceMs'>,
    private readonly checkpointer: { stop(): Promise<void> } | undefined,
    private readonly file: string,
  ) {
    super(config);
    writersOn.set(file, (writersOn.get(file) ?? 0) + 1);
  }

  /** Stops the checkpoint thread, then closes the writer: closing last, it checkpoints what is left and removes the WAL. */
  override async destroy(): Promise<void> {
    writersOn.set(this.file, (writersOn.get(this.file) ?? 1) - 1);
    await this.checkpointer?.stop();
    await super.destroy();
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    return {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        if (!this.db.inTransaction) this.sliceStart = performance.now();
        else if (performance.now() - this.sliceStart >= (this.options.sliceMs ?? TRANSACTION_SLICE_MS)) {
          await yieldToEvents();
          this.sliceStart = performance.now();
        }
        await this.hold();
        const result = await connection.executeQuery<R>(query);
        // Held for a transaction from its first statement to its end, or for one lone statement; not
        // while the commit waits for the disk, which needs the writer no more.
        if (!this.db.inTransaction) this.letGo();
        // Inside a transaction nothing is committed yet; a read commits nothing.
        if (this.durable && !this.db.inTransaction && !SelectQueryNode.is(query.query) && !relaxedCommits.getStore())
          await this.durable();
        return result;
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
  }

  /**
   * Takes SQLite's write lock at the start (`begin immediate`): a transaction that read first and
   * wrote later would otherwise fail at once ("database is locked", without waiting) if another
   * process (a `scot` command) wrote in between, as its snapshot could not become a write.
   */
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // Two writers on one file in one thread (tests playing two nodes) would wait for each other
    // synchronously, the one holding the lock never getting the turn to let go: they begin deferred.
    const alone = (writersOn.get(this.file) ?? 0) <= 1;
    await connection.executeQuery(CompiledQuery.raw(alone ? 'begin immediate' : 'begin'));
  }

  override async releaseConnection(): Promise<void> {
    this.letGo();
    await super.releaseConnection();
  }

  /** Whether this writer holds the lock it shares with other threads' writers. */
  private holding = false;

  private async hold(): Promise<void> {
    const { shared } = this.options;
    if (!shared || this.holding) return;
    await shared.lock.acquire(shared.slot);
    this.holding = true;
  }

  private letGo(): void {
    if (!this.holding) return;
    this.holding = false;
    this.options.shared!.lock.release(this.options.shared!.slot);
  }
}

/** How often the checkpoint thread copies the WAL into the database file. */
const CHECKPOINT_EVERY_MS = 250;

/**
 * A thread with a connection of its own that checkpoints the WAL in the background (`PASSIVE`: it
 * never waits for the writer nor for readers); the writer's automatic checkpoints are turned off.
 * Where no thread can start, the writer keeps checkpointing itself.
 */
function startCheckpointer(file: string, writer: BetterSqlite3.Database): { stop(): Promise<void> } | undefined {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.module);
    const db = new Database(workerData.file, { fileMustExist: true });
    const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.everyMs);
    parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
  `;
  try {
    const thread = new Worker(code, {
      eval: true,
      workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file, everyMs: CHECKPOINT_EVERY_MS },
    });
    thread.on('error', (err) => {
      console.error(`checkpoint thread: ${err.message}; the writer checkpoints again`);
      writer.pragma('wal_autocheckpoint = 1000');
    });
    thread.unref();
    writer.pragma('wal_autocheckpoint = 0');
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    return {
      stop() {
        // Waiting for its exit keeps the process alive until then.
        thread.ref();
        thread.postMessage('stop');
        return exited;
      },
    };
  } catch (err) {
    console.error(`checkpoint thread: ${(err as Error).message}; the writer checkpoints itself`);
    return undefined;
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
  // SQLite skips the entries of a deep page quickly enough (21 ms for `/alert?offset=999900` at a million alerts).
  liveCounts: false,
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
