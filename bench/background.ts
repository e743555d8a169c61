/**
 * Background benchmark: what flair and search indexing cost the main thread, in process.
 *
 *   npm run bench:background -- [--alertgroups 1000] [--rows 10] [--batch 500] [--statements]
 *                            [--database-url postgres://.../postgres]
 *
 * Ingests the alertgroups (bench/ingest's shape: every src_ip new) into a fresh store through the app
 * API (after one to warm up), then lets flair and then search indexing catch up with that backlog,
 * step by step as the server runs them. For each it prints per 1,000 alerts the main thread's busy
 * time (event loop utilization: flair's extraction on its own thread is not counted), the process's
 * CPU time, and the transactions' time (from the end of `prepare` to the commit: what holds SQLite's
 * writer and the event loop); then the longest transaction, and the longest single statement (on
 * SQLite also by CPU time, with the SQL of that one).
 * --batch N makes every batch at most N changes. --statements adds, for each consumer, the
 * statements that took the most time in all.
 * --database-url names a PostgreSQL server's maintenance database: the benchmark creates a database
 * of its own there and drops it after. Copy this file into another checkout to measure that code
 * the same way.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { ingestAlertgroup } from '../src/app/alertgroup.js';
import { createApp } from '../src/app/context.js';
import { loadConfig } from '../src/config.js';
import { BUILT_IN } from '../src/jobs/background.js';
import { CursorReader, type ChangeConsumer } from '../src/jobs/consumer.js';
import { openStore } from '../src/store/index.js';
import { freshPostgresDatabase } from '../test/helpers/postgres.js';
import { benchAlertgroup } from './server.js';

const { values: opts } = parseArgs({
  options: {
    alertgroups: { type: 'string', default: '1000' },
    rows: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    statements: { type: 'boolean', default: false },
    batch: { type: 'string' },
  },
});
const alertgroups = Number(opts.alertgroups);
const rows = Number(opts.rows);

/** CPU time of the whole process so far, in ms. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** How many alertgroups are posted at once, as concurrent requests share ingest commits. */
const CONCURRENT = 32;

/**
 * The longest single statement since the last `resetStatements()`, in ms, with its SQL: by wall time,
 * and by CPU time (SQLite's, run on this thread; the machine's other load does not lengthen it).
 */
let longestStatement = { ms: 0, sql: '' };
let longestStatementCpu = { ms: 0, sql: '' };
/** Time spent in each statement text since the last `resetStatements()`: ms, runs, and the most CPU one run took. */
const statementTotals = new Map<string, { ms: number; runs: number; maxCpu: number }>();

function resetStatements() {
  longestStatement = { ms: 0, sql: '' };
  longestStatementCpu = { ms: 0, sql: '' };
  statementTotals.clear();
}

function noteStatement(ms: number, cpu: number, text: unknown) {
  const sql = String(text).slice(0, 80);
  if (ms > longestStatement.ms) longestStatement = { ms, sql };
  if (cpu > longestStatementCpu.ms) longestStatementCpu = { ms: cpu, sql };
  const total = statementTotals.get(sql) ?? statementTotals.set(sql, { ms: 0, runs: 0, maxCpu: 0 }).get(sql)!;
  total.ms += ms;
  total.runs += 1;
  total.maxCpu = Math.max(total.maxCpu, cpu);
}

// Every statement of either driver is timed: better-sqlite3 runs them synchronously, pg until its answer.
const statementProto = Object.getPrototypeOf(new BetterSqlite3(':memory:').prepare('select 1'));
for (const method of ['run', 'all', 'get', 'iterate'] as const) {
  const original = statementProto[method];
  statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
    const started = performance.now();
    const cpu = cpuMs();
    try {
      return original.apply(this, args);
    } finally {
      noteStatement(performance.now() - started, cpuMs() - cpu, this.source);
    }
  };
}
const query = pg.Client.prototype.query as (...args: any[]) => any;
pg.Client.prototype.query = function (this: pg.Client, ...args: any[]) {
  const started = performance.now();
  const result = query.apply(this, args);
  const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
  if (result && typeof result.then === 'function')
    result.then(
      () => noteStatement(performance.now() - started, 0, text),
      () => {},
    );
  return result;
} as typeof pg.Client.prototype.query;

const alertgroup = (n: number) => benchAlertgroup(n, rows);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scot-bench-background-'));
const postgres = opts['database-url'] ? await freshPostgresDatabase(opts['database-url']) : undefined;
const url = postgres?.url ?? path.join(dataDir, 'scot.sqlite');
fs.writeFileSync(path.join(dataDir, 'scot.config.json'), '{}');
const config = loadConfig({
  SCOT_CONFIG: path.join(dataDir, 'scot.config.json'),
  SCOT_DATA_DIR: dataDir,
  SCOT_DATABASE_URL: url,
});
const store = await openStore(url);
const app = createApp(store, config);
const admin = { userId: 0, username: 'bench', groups: [], admin: true };

// One alertgroup first, flaired and indexed unmeasured: the flair thread, the enrichers and the statements are then ready.
await ingestAlertgroup(app, admin, { ...alertgroup(-1), message_id: 'warm-up' });
for (const consumer of BUILT_IN.consumers) {
  const reader = new CursorReader(app, consumer);
  while (await reader.step());
  await reader.release();
}

const ingestStarted = performance.now();
for (let n = 0; n < alertgroups; n += CONCURRENT)
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENT, alertgroups - n) }, (_, i) => ingestAlertgroup(app, admin, alertgroup(n + i))),
  );
const alerts = alertgroups * rows;
console.log(`ingested ${alerts} alerts in ${((performance.now() - ingestStarted) / 1000).toFixed(1)} s (${store.kind})`);

/**
 * Lets `consumer` catch up with the log, one step at a time; what that cost. A transaction is timed
 * from the end of `prepare` to its commit, in wall time and in CPU time: the flair thread is idle
 * then, so the process's CPU time is the main thread's, and other load on the machine leaves it be.
 */
async function catchUp(consumer: ChangeConsumer) {
  let prepared = { at: 0, cpu: 0 };
  let prepareMs = 0;
  const timed: ChangeConsumer = {
    ...consumer,
    prepare:
      consumer.prepare &&
      (async (a, changes) => {
        const started = performance.now();
        const result = await consumer.prepare!(a, changes);
        prepared = { at: performance.now(), cpu: cpuMs() };
        prepareMs += prepared.at - started;
        return result;
      }),
  };
  const reader = new CursorReader(app, timed);
  resetStatements();
  let steps = 0;
  let changes = 0;
  const tx = { ms: 0, cpu: 0, longest: 0, longestCpu: 0 };
  const busyBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const cpuBefore = cpuMs();
  for (;;) {
    prepared = { at: performance.now(), cpu: cpuMs() };
    const n = (await reader.step()) ?? 0;
    if (n === 0) break;
    const [txMs, txCpu] = [performance.now() - prepared.at, cpuMs() - prepared.cpu];
    tx.ms += txMs;
    tx.cpu += txCpu;
    tx.longest = Math.max(tx.longest, txMs);
    tx.longestCpu = Math.max(tx.longestCpu, txCpu);
    steps += 1;
    changes += n;
  }
  const wall = performance.now() - started;
  const busy = performance.eventLoopUtilization(busyBefore).active;
  const cpu = cpuMs() - cpuBefore;
  await reader.release();
  const heaviest = [...statementTotals].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8);
  return { steps, changes, wall, busy, cpu, prepareMs, tx, longestStatement, longestStatementCpu, heaviest };
}

const per1k = (n: number) => ((n * 1000) / alerts).toFixed(1);
const ms = (n: number) => n.toFixed(1);
console.log(`per 1,000 alerts: main thread busy, process CPU, transactions' wall and CPU time; the longest of each, in ms`);
console.log(
  'consumer  steps  changes  busy/1k   cpu/1k  tx ms/1k  tx cpu/1k  longest tx  tx cpu  stmt ms  stmt cpu  (the SQL of the longest)',
);
for (const name of ['flair', 'search']) {
  const consumer = BUILT_IN.consumers.find((c) => c.name === name)!;
  const r = await catchUp(opts.batch ? { ...consumer, batchSize: Number(opts.batch) } : consumer);
  console.log(
    [
      name.padEnd(8),
      String(r.steps).padStart(5),
      String(r.changes).padStart(8),
      per1k(r.busy).padStart(8),
      per1k(r.cpu).padStart(8),
      per1k(r.tx.ms).padStart(9),
      per1k(r.tx.cpu).padStart(10),
      ms(r.tx.longest).padStart(11),
      ms(r.tx.longestCpu).padStart(7),
      ms(r.longestStatement.ms).padStart(9),
      `${ms(r.longestStatementCpu.ms).padStart(8)}  ${(r.longestStatementCpu.ms ? r.longestStatementCpu : r.longestStatement).sql}`,
    ].join(' '),
  );
  if (opts.statements)
    for (const [sql, total] of r.heaviest)
      console.log(
        `    ${ms(total.ms).padStart(8)} ms ${String(total.runs).padStart(6)}x  at most ${ms(total.maxCpu).padStart(5)} ms CPU  ${sql}`,
      );
}
console.log(
  `machine: ${os.cpus().length} cores, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

await store.close();
await postgres?.drop();
fs.rmSync(dataDir, { recursive: true, force: true });
