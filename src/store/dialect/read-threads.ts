import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CompiledQuery, type SqliteDialect, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { InListSqliteDialect } from './in-lists.js';
import { sqliteDialect } from './sqlite.js';

/**
 * The reading threads' code: each opens the file read-only and answers one query after another,
 * keeping a prepared statement per SQL text. Plain CommonJS, so it runs the same from `dist` and
 * under tsx.
 */
const READER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const Database = require(workerData.module);
  const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = ' + -workerData.cacheKiB);
  const statements = new Map();
  const statementOf = (text) => {
    let statement = statements.get(text);
    if (statement) statements.delete(text);
    else statement = db.prepare(text);
    statements.set(text, statement);
    if (statements.size > workerData.statements) statements.delete(statements.keys().next().value);
    return statement;
  };
  parentPort.on('message', (query) => {
    if (query === 'close') {
      db.close();
      return process.exit(0);
    }
    try {
      const statement = statementOf(query.sql);
      if (statement.reader) return parentPort.postMessage({ n: query.n, rows: statement.all(query.parameters) });
      const { changes, lastInsertRowid } = statement.run(query.parameters);
      parentPort.postMessage({ n: query.n, rows: [], changes, lastInsertRowid });
    } catch (err) {
      parentPort.postMessage({ n: query.n, error: { message: err.message, code: err.code } });
    }
  });
`;

type Answer =
  | { n: number; rows: unknown[]; changes?: number; lastInsertRowid?: number | bigint }
  | { n: number; error: { message: string; code?: string } };

interface Waiting {
  resolve(result: QueryResult<unknown>): void;
  reject(err: Error): void;
}

/** MiB of young generation a reading thread's V8 heap may grow to. */
const READER_YOUNG_MIB = 8;

/** Distinct SQL texts each reading thread keeps prepared. */
const STATEMENTS_PER_THREAD = 500;

/** One reading thread, and the queries it was sent and has not answered yet. */
class ReadThread {
  readonly waiting = new Map<number, Waiting>();
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(file: string, cacheMiB: number, onLost: (thread: ReadThread) => void) {
    this.worker = new Worker(READER, {
      eval: true,
      // Its garbage is the rows of one answer at a time: a small young generation keeps it from holding tens of MiB.
      resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_MIB },
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        file,
        cacheKiB: cacheMiB * 1024,
        statements: STATEMENTS_PER_THREAD,
      },
    });
    this.worker.on('message', (answer: Answer) => {
      const waiting = this.waiting.get(answer.n);
      this.waiting.delete(answer.n);
      if (this.waiting.size === 0) this.worker.unref();
      if (!waiting) return;
      if ('error' in answer) waiting.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
      else
        waiting.resolve({
          rows: answer.rows,
          ...(answer.changes !== undefined && { numAffectedRows: BigInt(answer.changes) }),
          ...(answer.lastInsertRowid !== undefined && { insertId: BigInt(answer.lastInsertRowid) }),
        });
    });
    // A thread that dies (it ran out of memory, the file vanished) fails what it was asked; the next query starts another.
    const lost = (err: Error) => {
      onLost(this);
      for (const waiting of this.waiting.values()) waiting.reject(err);
      this.waiting.clear();
    };
    this.worker.on('error', lost);
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        if (this.waiting.size > 0) lost(new Error(`the reading thread stopped with code ${code}`));
        resolve();
      }),
    );
    // An idle thread keeps no process alive; one with a query in progress does.
    this.worker.unref();
  }

  execute(n: number, query: CompiledQuery): Promise<QueryResult<unknown>> {
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(n, { resolve, reject });
      this.worker.postMessage({ n, sql: query.sql, parameters: query.parameters });
    });
  }

  /** Answers what it was sent, then closes its connection and stops. */
  close(): Promise<void> {
    this.worker.ref();
    this.worker.postMessage('close');
    return this.exited;
  }
}

/**
 * Reads outside any transaction on threads of their own, each with a read-only connection: a long
 * list or search query then never holds the event loop, so requests, `/health` and group commits
 * go on meanwhile (better-sqlite3 answers synchronously, on the thread that asks). A query goes to
 * the thread with the fewest queries waiting; threads start on the first query.
 */
class ReadThreadsDriver implements Driver {
  private readonly threads: ReadThread[] = [];
  private next = 0;
  /** Where no thread could start: a read-only connection on this thread, as before threads. */
  private inThread?: Driver;
  private readonly connection: DatabaseConnection = {
    executeQuery: <R>(query: CompiledQuery) => this.thread().execute(this.next++, query) as Promise<QueryResult<R>>,
    // biome-ignore lint/correctness/useYield: never streams
    streamQuery: async function* () {
      throw new Error('the reading threads do not stream results');
    },
  };

  constructor(
    private readonly file: string,
    private readonly count: number,
    private readonly cacheMiB: number,
  ) {}

  /** Starts the first thread and asks it a question, else reads on this thread. */
  async init(): Promise<void> {
    try {
      await this.thread().execute(this.next++, CompiledQuery.raw('select 1'));
    } catch (err) {
      console.error(`reading thread: ${(err as Error).message}; reading on the main thread`);
      await Promise.all(this.threads.splice(0).map((t) => t.close()));
      this.inThread = sqliteDialect(this.file, { readonly: true }).createDriver();
      await this.inThread.init();
      const connection = await this.inThread.acquireConnection();
      await connection.executeQuery(CompiledQuery.raw(`pragma cache_size = ${-this.cacheMiB * 1024}`));
      await this.inThread.releaseConnection(connection);
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.inThread ? this.inThread.acquireConnection() : this.connection;
  }

  async beginTransaction(): Promise<void> {
    throw new Error('the reading threads run no transactions: write through the store');
  }

  async commitTransaction(): Promise<void> {}

  async rollbackTransaction(): Promise<void> {}

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inThread?.releaseConnection(connection);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.threads.splice(0).map((t) => t.close()));
    await this.inThread?.destroy();
  }

  /** The thread with the fewest queries waiting; one more starts while all are busy, up to `count`. */
  private thread(): ReadThread {
    if (this.threads.length < this.count && this.threads.every((t) => t.waiting.size > 0)) {
      this.threads.push(
        // The threads share the page cache one reader had: more threads read more at once, they do not cache more.
        new ReadThread(this.file, Math.max(1, Math.floor(this.cacheMiB / this.count)), (lost) => {
          const at = this.threads.indexOf(lost);
          if (at >= 0) this.threads.splice(at, 1);
        }),
      );
    }
    return this.threads.reduce((least, t) => (t.waiting.size < least.waiting.size ? t : least));
  }
}

/** A Kysely dialect that reads `file` on `threads` threads of its own, sharing `cacheMiB` of page cache. */
export function readThreadsDialect(file: string, threads: number, cacheMiB: number): SqliteDialect {
  // The driver is all that differs from SQLite's dialect: its config is never read.
  return new (class extends InListSqliteDialect {
    override createDriver(): Driver {
      return new ReadThreadsDriver(file, threads, cacheMiB);
    }
  })({ database: {} as never });
}
