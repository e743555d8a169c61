/**
 * List benchmark: lists, filters, sorts and deep pages over a million alerts, SQLite and PostgreSQL
 * side by side in one run.
 *
 *   npm run bench:list -- [--alerts 1000000] [--samples 100] [--engines sqlite,postgres] [--reuse]
 *                         [--dir /tmp/scot-bench-list] [--postgres-url postgres://postgres@127.0.0.1:5432/scot_bench_list]
 *   npm run bench:list -- --reuse --during-ingest [--rate 10000] [--duration 20]
 *
 * The corpus (alertgroups of 10 alerts, tags and sources from small pools, 1,000 events with 20
 * entries each) is written straight into the database in SQL (bench/corpus.ts), which is much faster
 * than posting it; the load rate is printed. `--reuse` keeps a database that already holds at least
 * that many alerts (`--dir` for SQLite, `--postgres-url` for PostgreSQL), so a second run skips the
 * load. Then it starts the built server (`npm run build` first) on it, timing the start, and asks each
 * query `--samples` times, one at a time, as the admin and, where said, as an analyst limited to
 * read groups. `--during-ingest` also posts alertgroups over HTTP at `--rate` alerts/s meanwhile and asks
 * `/health` every 20 ms. It prints the server's peak RSS (VmHWM) and RSS after. `--profile DIR` writes
 * the server's CPU profile there (node --cpu-prof); `--node-arg FLAG` (repeatable) passes a flag to its node.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { openStore } from '../src/store/index.js';
import { alertgroupCount, corpusRow, EPOCH, loadCorpus, loadEvents } from './corpus.js';
import { apikeyOf, call, percentile, post, sleep, startServer } from './server.js';

const { values: opts } = parseArgs({
  options: {
    alerts: { type: 'string', default: '1000000' },
    samples: { type: 'string', default: '100' },
    engines: { type: 'string', default: 'sqlite,postgres' },
    reuse: { type: 'boolean', default: false },
    dir: { type: 'string', default: path.join(os.tmpdir(), 'scot-bench-list') },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/scot_bench_list' },
    'during-ingest': { type: 'boolean', default: false },
    rate: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '20' },
    cli: { type: 'string', default: 'dist/cli/main.js' },
    /** A folder for the server's CPU profile (node --cpu-prof), to see where the time goes. */
    profile: { type: 'string' },
    /** Flags for the server's node, such as `--max-semi-space-size=4`, to compare with and without. */
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const groups = Math.ceil(Number(opts.alerts) / 10);
const samples = Number(opts.samples);
const engines = opts.engines!.split(',') as ('sqlite' | 'postgres')[];

/** Median and p99 of the issue's "today" table (1,000,000 alerts, before this work), by query. */
const TODAY: Record<string, string> = {
  '/alertgroup': '8; 19 / 82',
  '/alertgroup?sort=-created': '54; 51 / 77',
  '/alertgroup?status=open': '9; 46 / 65',
  '/alertgroup?source=edr&sort=-created': '101; 282 / 470',
  '/alertgroup?offset=99900': '12; 95 / 170',
  '/alert?status=open': '158; 498 / 745',
};

interface Query {
  path: string;
  /** Asked as the analyst, whose lists are limited to read groups. */
  analyst?: boolean;
}

/** The list queries the issue names, with their paths filled in once the corpus is known. */
function queries(last: number, deepGroup: string, deepAlert: string, group: number, event: number): Query[] {
  const week = `${EPOCH + (last - 20_000) * 30},${EPOCH + (last - 0) * 30}`;
  return [
    { path: '/alertgroup' },
    { path: '/alertgroup?sort=-created' },
    { path: '/alertgroup?sort=updated' },
    { path: '/alertgroup?sort=status' },
    { path: '/alertgroup?sort=-owner' },
    { path: '/alertgroup?status=open' },
    { path: '/alertgroup?status=closed&sort=-created' },
    { path: '/alertgroup?tag=malware' },
    { path: '/alertgroup?tag=malware&sort=-created' },
    { path: '/alertgroup?source=edr&sort=-created' },
    { path: '/alertgroup?owner=alice' },
    { path: '/alertgroup?owner=alice&sort=-created' },
    { path: `/alertgroup?created=${week}` },
    { path: `/alertgroup?created=${week}&sort=-created` },
    { path: '/alertgroup?offset=99900' },
    { path: `/alertgroup?after=${deepGroup}` },
    { path: '/alertgroup', analyst: true },
    { path: '/alertgroup?status=open&sort=-created', analyst: true },
    { path: '/alert' },
    { path: '/alert?status=open' },
    { path: '/alert?sort=-created' },
    { path: '/alert?status=closed&sort=-created' },
    { path: '/alert?owner=bob&sort=-created' },
    { path: '/alert?tag=malware' },
    { path: '/alert?offset=999900' },
    { path: `/alert?after=${deepAlert}` },
    { path: '/alert?status=open', analyst: true },
    { path: `/alertgroup/${group}/alert` },
    { path: `/event/${event}/entry` },
    { path: `/alertgroup/${group}` },
    { path: `/alert/${group * 10}` },
  ];
}

/** A database of that engine holding the corpus: reused when asked and big enough, else made anew and loaded. */
async function prepare(engine: 'sqlite' | 'postgres'): Promise<{ url: string; dataDir: string }> {
  const dataDir = path.join(opts.dir!, engine);
  const url = engine === 'sqlite' ? path.join(dataDir, 'scot.sqlite') : opts['postgres-url']!;
  if (opts.reuse && (await existingGroups(engine, url)) >= groups) return { url, dataDir };
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  if (engine === 'postgres') await recreatePostgres(url);
  const store = await openStore(url);
  const started = performance.now();
  await loadCorpus(store, 1, groups, (done) =>
    process.stdout.write(`\r  ${engine}: loading ${(done * 10).toLocaleString()} alerts`),
  );
  await loadEvents(store, 1000, 20);
  const seconds = (performance.now() - started) / 1000;
  // What autovacuum does soon after a load (this machine's cluster runs with it off): statistics for the
  // planner, and the visibility map that lets an index-only scan skip the rows of a deep page unread.
  if (engine === 'postgres') await sql`vacuum (analyze)`.execute(store.db);
  await store.close();
  console.log(
    `\r  ${engine}: loaded ${(groups * 10).toLocaleString()} alerts in ${seconds.toFixed(1)} s: ${Math.round((groups * 10) / seconds).toLocaleString()} alerts/s (SQL INSERT ... SELECT, no change log)`,
  );
  return { url, dataDir };
}

async function existingGroups(engine: string, url: string): Promise<number> {
  if (engine === 'sqlite' && !fs.existsSync(url)) return 0;
  try {
    const store = await openStore(url);
    try {
      return await alertgroupCount(store);
    } finally {
      await store.close();
    }
  } catch {
    return 0;
  }
}

/** A new empty PostgreSQL database beside the corpus's, made anew each run. */
async function emptyPostgres(): Promise<string> {
  const url = `${opts['postgres-url']}_empty`;
  await recreatePostgres(url);
  return url;
}

async function recreatePostgres(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString() });
  await admin.connect();
  await admin.query(`drop database if exists "${name}"`);
  await admin.query(`create database "${name}"`);
  await admin.end();
}

/** The server's resident memory now and at its peak, in MB, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Latencies in ms of `count` GETs of `path`, one at a time; throws on an answer other than 200. */
async function time(agent: http.Agent, base: string, key: string, path: string, count: number): Promise<number[]> {
  const url = new URL(`/scot/api/v2${path}`, base);
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const reply = await call(agent, url, key, 'GET');
    latencies.push(performance.now() - t);
    if (reply.status !== 200) throw new Error(`${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return latencies;
}

const p = (latencies: number[], at: number) =>
  percentile(
    [...latencies].sort((a, b) => a - b),
    at,
  );
const figure = (l: number[] | undefined) => (l ? `${p(l, 50).toFixed(1)} / ${p(l, 99).toFixed(1)}` : '-');

interface Run {
  startMs: number;
  emptyStartMs: number;
  results: Map<string, number[]>;
  memory: { rss: number; peak: number };
  ingest?: { rate: number; health: number[]; lists: number[]; failed: number; peak: number };
}

/** An alertgroup as a detection system posts it: ten rows like the corpus's. */
const alertgroup = (n: number): string =>
  JSON.stringify({
    message_id: `bench-list-${process.pid}-${n}`,
    subject: `Detectotron3k Alert: Bad Stuff Found #${n % 100}`,
    data: Array.from({ length: 10 }, (_, i) => corpusRow(n, i)),
    tag: ['malware', 'ids'],
    source: ['edr'],
  });

/**
 * Posts alertgroups of 10 at `rate` alerts/s for `seconds`, each on time (a late tick is not made up
 * later), while asking `lists` in turn and `/health` every 20 ms.
 */
async function duringIngest(base: string, key: string, pid: number, lists: string[], seconds: number, rate: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const reader = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const target = new URL('/scot/api/v2/alertgroup', base);
  const until = performance.now() + seconds * 1000;
  const perTick = rate / 10 / 100; // alertgroups per 10 ms tick
  let posted = 0;
  let failed = 0;
  let peak = 0;
  const inflight = new Set<Promise<void>>();
  const poster = (async () => {
    let owed = 0;
    let n = 0;
    for (let tick = performance.now(); tick < until; tick += 10) {
      owed += perTick;
      for (; owed >= 1; owed--) {
        const sent = post(agent, target, key, alertgroup(n++)).then(
          (status) => {
            if (status === 201) posted++;
            else failed++;
          },
          () => {
            failed++;
          },
        );
        inflight.add(sent);
        sent.finally(() => inflight.delete(sent));
      }
      const wait = tick + 10 - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(inflight);
  })();
  const health: number[] = [];
  const checker = (async () => {
    while (performance.now() < until) {
      health.push(...(await time(reader, base, key, '/health', 1)));
      peak = Math.max(peak, memoryOf(pid).peak);
      await sleep(20);
    }
  })();
  const listed: number[] = [];
  const lister = (async () => {
    for (let i = 0; performance.now() < until; i++) listed.push(...(await time(reader, base, key, lists[i % lists.length], 1)));
  })();
  const started = performance.now();
  await Promise.all([poster, checker, lister]);
  const rateSeen = (posted * 10) / ((performance.now() - started) / 1000);
  agent.destroy();
  reader.destroy();
  return { rate: rateSeen, health, lists: listed, failed, peak };
}

async function run(engine: 'sqlite' | 'postgres'): Promise<Run> {
  const { url, dataDir } = await prepare(engine);
  const nodeArgs = [
    ...opts['node-arg']!,
    ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.profile)}`] : []),
  ];
  const server = await startServer({ databaseUrl: url, dataDir, cli: opts.cli, nodeArgs });
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const analystKey = await analyst(server.env);
    const last = groups;
    const ask = async (path: string) => (await call(agent, new URL(`/scot/api/v2${path}`, server.url), server.key, 'GET')).body;
    const deepGroup = (await ask(`/alertgroup?offset=${Math.max(0, last - 150)}`)).nextCursor;
    const deepAlert = (await ask(`/alert?offset=${Math.max(0, last * 10 - 150)}`)).nextCursor;
    const group = Math.floor(last / 2);
    const results = new Map<string, number[]>();
    for (const q of queries(last, deepGroup, deepAlert, group, 50)) {
      const key = q.analyst ? analystKey : server.key;
      await time(agent, server.url, key, q.path, 3);
      results.set(label(q), await time(agent, server.url, key, q.path, samples));
    }
    let ingest: Run['ingest'];
    if (opts['during-ingest']) {
      const lists = [
        '/alertgroup',
        '/alertgroup?status=open&sort=-created',
        '/alert?status=open',
        '/alertgroup?source=edr&sort=-created',
      ];
      ingest = await duringIngest(server.url, server.key, server.child.pid!, lists, Number(opts.duration), Number(opts.rate));
    }
    agent.destroy();
    const memory = memoryOf(server.child.pid!);
    // The same build on an empty database: a start that reads no table takes as long.
    const empty = await startServer({ databaseUrl: engine === 'sqlite' ? undefined : await emptyPostgres(), cli: opts.cli });
    empty.cleanup();
    return { startMs: server.startMs, emptyStartMs: empty.startMs, results, memory, ingest };
  } finally {
    server.cleanup();
    await sleep(500);
  }
}

const label = (q: Query) => `${q.path.replace(/after=[^&]+/, 'after=<cursor at the end>')}${q.analyst ? ' (analyst)' : ''}`;

/** An API key of `analyst`, a user in the read group `ir` (made on first use). */
async function analyst(env: NodeJS.ProcessEnv): Promise<string> {
  const cli = path.resolve(opts.cli!);
  try {
    execFileSync(process.execPath, [cli, 'user', 'add', 'analyst', '--group', 'ir', '--no-password'], { env, stdio: 'ignore' });
  } catch {
    /* made by an earlier run on this database */
  }
  return apikeyOf(cli, env, 'analyst');
}

const runs = new Map<string, Run>();
for (const engine of engines) runs.set(engine, await run(engine));

const [a, b] = engines;
console.log(
  `\nbench/list: ${(groups * 10).toLocaleString()} alerts (${groups.toLocaleString()} alertgroups of 10), limit 50, ${samples} samples each, ${os.cpus().length} cores (${os.cpus()[0].model}), ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `| query | ${engines.map((e) => `${e} p50 / p99 ms`).join(' | ')} |${b ? ` p99 ${b}/${a} |` : ''} before (issue 14): SQLite p50; PostgreSQL p50 / p99 |`,
);
console.log(`|---|${engines.map(() => '---|').join('')}${b ? '---|' : ''}---|`);
for (const name of runs.get(a)!.results.keys()) {
  const lat = engines.map((e) => runs.get(e)!.results.get(name));
  const ratio = b && lat[0] && lat[1] ? ` ${(p(lat[1], 99) / p(lat[0], 99)).toFixed(2)} |` : '';
  const before = TODAY[name.replace(/&?limit=\d+/, '')] ?? '';
  console.log(`| \`${name}\` | ${lat.map(figure).join(' | ')} |${ratio} ${before} |`);
}
for (const engine of engines) {
  const r = runs.get(engine)!;
  console.log(
    `${engine}: start-up ${r.startMs.toFixed(0)} ms (on an empty database: ${r.emptyStartMs.toFixed(0)} ms); server RSS peak ${r.memory.peak.toFixed(0)} MB, now ${r.memory.rss.toFixed(0)} MB`,
  );
  if (r.ingest) {
    const i = r.ingest;
    console.log(
      `${engine} during ingest (${opts.rate} alerts/s asked, ${Math.round(i.rate).toLocaleString()} alerts/s done, ${i.failed} failed): lists p50 ${p(i.lists, 50).toFixed(1)} p99 ${p(i.lists, 99).toFixed(1)} ms (${i.lists.length} asked); /health p50 ${p(i.health, 50).toFixed(1)} p99 ${p(i.health, 99).toFixed(1)} ms; RSS peak ${i.peak.toFixed(0)} MB`,
    );
  }
}
