/**
 * Ingest benchmark: posts alertgroups over HTTP with keep-alive and prints alerts/s and latency.
 *
 *   npm run bench:ingest -- [--duration 20] [--connections 32] [--rows 10] [--database-url postgres://...]
 *                           [--large-rows 100000] [--cli other/dist/cli/main.js]
 *   npm run bench:ingest -- --role api   (the server in one role: api measures ingest without background work)
 *   npm run bench:ingest -- --flair [--rate 10000]
 *       (four servers in one run: `--role api` without background work, flair alone (`SCOT_CONSUMERS=flair`),
 *       flair and search indexing (the default role), then the default role at a paced --rate alerts/s for the
 *       flair lag; on PostgreSQL each server gets a database of its own)
 *   npm run bench:ingest -- --rate 10000   (posts at that many alerts/s instead of as fast as the server takes them)
 *   npm run bench:ingest -- --profile DIR  (each server writes its CPU profile there: node --cpu-prof)
 *   npm run bench:ingest -- --url http://host:8080 --key <api key>      (an already running server)
 *   npm run bench:ingest -- --engines sqlite,postgres [--role api] [--against base/dist/cli/main.js]
 *       (SQLite and PostgreSQL side by side in one run, each PostgreSQL server on a fresh database made
 *        through --postgres-admin-url; --against measures another build likewise; prints the ratios)
 *
 * Without --url it builds nothing: it starts `dist/cli/main.js serve` (run `npm run build` first;
 * --cli names another build, to compare two commits in one run) on a fresh data folder and a free
 * loopback port, so the server has its own process and core. Throughout, it also asks `/health`
 * every 20 ms, to show how long the load keeps the server from answering; --large-rows adds one
 * more connection that posts alertgroups of that many rows, one after the other.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freshPostgresDatabase } from '../test/helpers/postgres.js';
import { benchAlertgroup, call, percentile, request, sleep, spread, startServer } from './server.js';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    rows: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    'large-rows': { type: 'string', default: '0' },
    cli: { type: 'string', default: 'dist/cli/main.js' },
    url: { type: 'string' },
    key: { type: 'string' },
    flair: { type: 'boolean', default: false },
    role: { type: 'string' },
    rate: { type: 'string' },
    engines: { type: 'string' },
    against: { type: 'string' },
    'postgres-admin-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    /** A folder for each server's CPU profile (node --cpu-prof), to see where the time goes. */
    profile: { type: 'string' },
  },
});
const durationS = Number(opts.duration);
const warmupS = Number(opts.warmup);
const connections = Number(opts.connections);
const rowsPerGroup = Number(opts.rows);
const largeRows = Number(opts['large-rows']);

/** How often the health check asks during the load. */
const HEALTH_EVERY_MS = 20;

const alertgroup = (n: number, rows = rowsPerGroup) => JSON.stringify(benchAlertgroup(n, rows));

/** Posts alertgroup `n` and polls its first alert until flair is done (at most `limitMs`): ms from its commit (the 201). */
async function flairLag(agent: http.Agent, base: string, key: string, n: number, limitMs = 20_000): Promise<number> {
  const posted = await call(agent, new URL('/scot/api/v2/alertgroup', base), key, 'POST', alertgroup(n));
  const committed = performance.now();
  const alert = new URL(`/scot/api/v2/alert/${posted.body.alerts[0]}`, base);
  while ((await call(agent, alert, key, 'GET')).body.flair !== 'done' && performance.now() - committed < limitMs) await sleep(10);
  return performance.now() - committed;
}

/**
 * While the load runs: every 100 ms posts one more alertgroup and polls its first alert until flair is done;
 * the flair lag is the time from its commit (the 201) to its entities being queryable.
 */
async function sampleFlairLag(agent: http.Agent, base: string, key: string, until: number): Promise<number[]> {
  const lags: number[] = [];
  for (let n = 0; performance.now() < until; n++) {
    lags.push(await flairLag(agent, base, key, 1_000_000 + n));
    await sleep(100);
  }
  return lags.sort((a, b) => a - b);
}

/** How a run's server is set up and loaded: its role and settings, a paced rate, what it measures of flair. */
interface RunOptions {
  env?: Record<string, string>;
  /** Alerts/s to post at; as fast as the server answers when absent. */
  rate?: number;
  /** Samples the flair lag during the load. */
  lag?: boolean;
  /** After the load, how long flair takes to reach an alertgroup posted then (its backlog). */
  catchUp?: boolean;
}

/**
 * Which server to measure: its build and its PostgreSQL server (SQLite in its data folder when none); with
 * `fresh`, a database of its own made on that server and dropped afterwards.
 */
interface Target {
  cli: string;
  databaseUrl?: string;
  fresh?: boolean;
}

interface Measured {
  rate: number;
  p99: number;
  lags: number[];
  catchUpMs?: number;
}

async function run(
  role: string | undefined,
  runOptions: RunOptions = {},
  // In a --flair run each server gets a database of its own, so none flairs another's backlog.
  target: Target = { cli: opts.cli!, databaseUrl: opts['database-url'], fresh: opts.flair },
): Promise<Measured> {
  const database = target.fresh && target.databaseUrl ? await freshPostgresDatabase(target.databaseUrl) : undefined;
  const databaseUrl = database?.url ?? target.databaseUrl;
  const nodeArgs = opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.profile)}`] : [];
  const server = opts.url ? undefined : await startServer({ databaseUrl, cli: target.cli, role, env: runOptions.env, nodeArgs });
  const base = opts.url ?? server!.url;
  const key = opts.key ?? server?.key;
  if (!key) throw new Error('--url needs --key');
  const url = new URL('/scot/api/v2/alertgroup', base);
  const healthUrl = new URL('/scot/api/v2/health', base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  // Health checks and large alertgroups have connections of their own, never queued behind the load.
  const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const largeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let counter = 0;
  let errors = 0;
  let largeStored = 0;
  const latencies: number[] = [];
  const health: number[] = [];
  const start = performance.now();
  const measureFrom = start + warmupS * 1000;
  const end = measureFrom + durationS * 1000;
  let measured = 0;
  // Paced: alertgroup k is due k/rate seconds after the start; a connection waits for the next one due.
  const rate = runOptions.rate ?? (opts.rate ? Number(opts.rate) : undefined);
  const groupsPerMs = rate === undefined ? undefined : rate / rowsPerGroup / 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const n = counter++;
      if (groupsPerMs !== undefined) {
        const due = start + n / groupsPerMs;
        if (due >= end) break;
        if (due > performance.now()) await sleep(due - performance.now());
      }
      const body = alertgroup(n);
      const t0 = performance.now();
      const status = await request(agent, url, key, body);
      const t1 = performance.now();
      if (status !== 201) errors++;
      if (t0 >= measureFrom) {
        latencies.push(t1 - t0);
        measured++;
      }
    }
  };
  const healthChecker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const status = await request(healthAgent, healthUrl, key);
      if (status !== 200) errors++;
      if (t0 >= measureFrom) health.push(performance.now() - t0);
      await sleep(HEALTH_EVERY_MS);
    }
  };
  const largePoster = async () => {
    while (largeRows > 0 && performance.now() < end) {
      const status = await request(largeAgent, url, key, alertgroup(counter++, largeRows));
      if (status === 201) largeStored++;
      else errors++;
    }
  };
  const lagAgent = new http.Agent({ keepAlive: true });
  const sampler = runOptions.lag ? sampleFlairLag(lagAgent, base, key, end) : Promise.resolve([]);
  await Promise.all([...Array.from({ length: connections }, worker), healthChecker(), largePoster()]);
  const elapsed = (performance.now() - measureFrom) / 1000;
  const lags = await sampler;
  // Flair may fall behind a saturating load: the backlog it then has is the time it takes to reach a post made now.
  const catchUpMs = runOptions.catchUp ? await flairLag(lagAgent, base, key, 2_000_000, 300_000) : undefined;
  for (const a of [agent, healthAgent, largeAgent, lagAgent]) a.destroy();
  const exited =
    server && server.child.exitCode === null ? new Promise((resolve) => server.child.once('exit', resolve)) : undefined;
  server?.cleanup();
  // The server lets go of its database before it is dropped.
  await exited;
  await database?.drop();
  const groupRate = measured / elapsed;
  const settings = Object.entries(runOptions.env ?? {}).map(([k, v]) => ` ${k}=${v}`);
  console.log(
    `ingest: role ${role ?? 'all'}${settings.join('')}, ${connections} keep-alive connections, ${rowsPerGroup} rows per alertgroup, ${durationS}s after ${warmupS}s warm-up` +
      (rate === undefined ? '' : `, paced at ${rate} alerts/s`) +
      (target.databaseUrl ? ' (PostgreSQL)' : opts.url ? '' : ' (SQLite)') +
      (largeRows > 0 ? `, and alertgroups of ${largeRows} rows on one more connection` : ''),
  );
  console.log(
    `  alertgroups/s ${groupRate.toFixed(0)}   alerts/s ${(groupRate * rowsPerGroup).toFixed(0)}   errors ${errors}` +
      (largeRows > 0 ? `   large alertgroups stored ${largeStored}` : '') +
      (catchUpMs === undefined ? '' : `   flair caught up ${(catchUpMs / 1000).toFixed(1)} s after the load`),
  );
  console.log(`  latency ms  ${spread(latencies)}`);
  console.log(`  /health ms  ${spread(health)}  (${health.length} checks, one every ${HEALTH_EVERY_MS} ms)`);
  console.log(
    `  machine     ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, server ${path.resolve(target.cli)}`,
  );
  if (errors > 0) process.exitCode = 1;
  const sorted = latencies.sort((a, b) => a - b);
  return { rate: groupRate * rowsPerGroup, p99: sorted.length > 0 ? percentile(sorted, 99) : Number.NaN, lags, catchUpMs };
}

/** Each engine (and each build, with --against) in turn in one run, then their figures side by side with ratios. */
async function sideBySide(engines: string[]) {
  const builds = [opts.cli!, ...(opts.against ? [opts.against] : [])];
  const results: { engine: string; cli: string; m: Measured }[] = [];
  for (const cli of builds) {
    for (const engine of engines) {
      if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`--engines takes sqlite and postgres, got ${engine}`);
      const target = engine === 'sqlite' ? { cli } : { cli, databaseUrl: opts['postgres-admin-url'], fresh: true };
      results.push({ engine, cli, m: await run(opts.role, {}, target) });
    }
  }
  const of = (engine: string, cli: string) => results.find((r) => r.engine === engine && r.cli === cli)?.m;
  console.log(`\nside by side, role ${opts.role ?? 'all'} (alerts/s, latency p99 ms):`);
  for (const r of results) {
    console.log(
      `  ${r.engine.padEnd(9)} ${r.m.rate.toFixed(0).padStart(7)} alerts/s  p99 ${r.m.p99.toFixed(1).padStart(6)}  ${r.cli}`,
    );
  }
  for (const cli of builds) {
    const [lite, post] = [of('sqlite', cli), of('postgres', cli)];
    if (lite && post) console.log(`  PostgreSQL / SQLite: ${(post.rate / lite.rate).toFixed(2)}×  (${cli})`);
  }
  if (opts.against) {
    for (const engine of engines) {
      const [now, then] = [of(engine, builds[0]), of(engine, builds[1])];
      if (now && then) console.log(`  ${engine}: this build / --against: ${(now.rate / then.rate).toFixed(2)}×`);
    }
  }
}

/** `part` as a percentage of `whole`. */
const share = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;

if (opts.flair) {
  const pacedRate = Number(opts.rate ?? 10_000);
  const without = await run('api');
  const flair = await run('all', { env: { SCOT_CONSUMERS: 'flair' }, catchUp: true });
  const both = await run('all', { catchUp: true });
  const paced = await run('all', { rate: pacedRate, lag: true });
  const engine = opts['database-url'] ? 'PostgreSQL' : 'SQLite';
  console.log(`flair (${engine}): alerts/s without background work ${without.rate.toFixed(0)}`);
  console.log(`  with flair running           ${flair.rate.toFixed(0)} = ${share(flair.rate, without.rate)} (target 80%)`);
  console.log(`  with flair + search indexing ${both.rate.toFixed(0)} = ${share(both.rate, without.rate)}`);
  console.log(
    `  flair lag ms at a paced ${pacedRate} alerts/s (${paced.rate.toFixed(0)} reached; commit to entities queryable, ${paced.lags.length} samples)  ${spread(paced.lags)}`,
  );
} else if (opts.engines) {
  await sideBySide(opts.engines.split(','));
} else {
  const { lags } = await run(opts.role, { lag: opts.rate !== undefined && opts.role !== 'api' });
  if (lags.length > 0) console.log(`  flair lag ms (commit to entities queryable, ${lags.length} samples)  ${spread(lags)}`);
}
