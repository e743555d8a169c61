/**
 * Stream benchmark: connects WebSocket clients to the change stream while alertgroups are ingested
 * at a steady rate, and prints the delivery latency and the server's memory over the run, for each
 * setup named, one after the other, then side by side.
 *
 *   npm run bench:stream -- [--clients 500] [--alerts-per-second 2000] [--rows 10] [--duration 60] [--warmup 30]
 *     [--run sqlite/all] [--run postgres/all] [--run postgres/split] [--run sqlite/all/other/dist/cli/main.js]
 *     [--database-url postgres://...] [--profile dir]
 *
 * A run is `<engine>/<role>[/<cli>]`: engine `sqlite` or `postgres` (a fresh database on the server of
 * `--database-url` for each run), role `all` (one process), `api` (no background work) or `split` (`--role
 * api` beside a `--role worker` process: flair and search indexing leave the api process's loop), and
 * optionally another build's `dist/cli/main.js` to compare with. Each starts `dist/cli/main.js serve` (run
 * `npm run build` first) in its own process.
 *
 * Latency runs from sending the POST to a client receiving the notice: an upper bound of
 * commit-to-receipt, since the commit happens within the POST. "after the answer" runs from the 201
 * arriving to the notice arriving (0 when the notice came first): a lower bound, the stream's own delay.
 * Every client counts its notices; one in ten measures latency, so the load generator stays light.
 *
 * Memory is the server's resident set (of each process, api+worker), sampled every 10 s; its growth from
 * the first sample after the warm-up to the end tells whether it stays flat. The warm-up is 30 s by
 * default: in its first half-minute a fresh server's memory grows into its working size (V8 sizes the
 * main thread's old space, 58 to 75 MiB in the first 15 s; SQLite's page and statement caches fill),
 * and what grows after that is what would grow for good.
 */
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { freshPostgresDatabase } from '../test/helpers/postgres.js';
import { percentile, post, startServer } from './server.js';

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    'alerts-per-second': { type: 'string', default: '2000' },
    rows: { type: 'string', default: '10' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '30' },
    run: { type: 'string', multiple: true },
    'database-url': { type: 'string' },
    profile: { type: 'string' },
  },
});
const clients = Number(opts.clients);
const rows = Number(opts.rows);
const groupsPerSecond = Number(opts['alerts-per-second']) / rows;
const durationS = Number(opts.duration);
const warmupS = Number(opts.warmup);
const runs = opts.run ?? [opts['database-url'] ? 'postgres/all' : 'sqlite/all'];

/** Every client counts the notices it receives; one in this many also measures each one's latency. */
const SAMPLE_EVERY = 10;
const SEQ = Buffer.from('"seq":');

/** Milliseconds on a clock this process and its clients share, with sub-millisecond precision. */
const clock = () => performance.timeOrigin + performance.now();

/** The resident memory in MiB of process `pid`, from the kernel's view of it. */
function residentMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

function alertgroup(run: number, n: number, sentAt: number): string {
  const data = Array.from({ length: rows }, (_, i) => ({
    src_ip: `10.${(n >> 8) & 255}.${n & 255}.${i}`,
    signature: 'ET POLICY outbound',
    count: i + 1,
  }));
  // The subject carries the alertgroup's number and send time, so each client measures its own delivery without a lookup.
  return JSON.stringify({
    message_id: `stream-bench-${process.pid}-${run}-${n}`,
    subject: `bench n=${n} sent=${sentAt.toFixed(3)}`,
    data,
    tag: ['bench'],
  });
}

interface Result {
  run: string;
  posted: number;
  errors: number;
  received: number;
  dropped: number;
  latency: number[];
  afterAnswer: number[];
  answers: number[];
  /** Seconds into the run, and the resident MiB of each server process then. */
  memory: [number, number[]][];
}

async function measure(run: string, index: number): Promise<Result> {
  const [engine, role = 'all', ...rest] = run.split('/');
  const cli = rest.length > 0 ? rest.join('/') : undefined;
  if (engine !== 'sqlite' && engine !== 'postgres') throw new Error(`--run ${run}: the engine is sqlite or postgres`);
  if (!['all', 'api', 'split'].includes(role)) throw new Error(`--run ${run}: the role is all, api or split`);
  if (engine === 'postgres' && !opts['database-url']) throw new Error(`--run ${run} needs --database-url postgres://...`);
  const database = engine === 'postgres' ? await freshPostgresDatabase(opts['database-url']) : undefined;
  const server = await startServer({
    databaseUrl: database?.url,
    cli,
    role: role === 'split' ? 'api' : role === 'all' ? undefined : role,
    workers: role === 'split' ? 1 : 0,
    nodeArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir', opts.profile] : [],
  });
  const pids = [server.child.pid!, ...server.workers.map((w) => w.pid!)];
  const streamUrl = `${server.url.replace(/^http/, 'ws')}/scot/api/v2/stream`;
  const latency: number[] = [];
  const afterAnswer: number[] = [];
  /** From sending a POST to its answer: the part of the delivery latency that is ingest's. */
  const answers: number[] = [];
  const answeredAt: number[] = [];
  let received = 0;
  let dropped = 0;
  let measuring = false;
  const sockets = await Promise.all(
    Array.from({ length: clients }, (_, c) => {
      // This process plays every client on a shared machine: it checks no UTF-8, and reads few frames whole.
      const socket = new WebSocket(streamUrl, { headers: { authorization: `Bearer ${server.key}` }, skipUTF8Validation: true });
      // A frame `{"notices": [...]}` carries every notice of its interval: each subject names its send time.
      socket.on('message', (data: Buffer) => {
        const now = clock();
        for (let at = data.indexOf(SEQ); at !== -1; at = data.indexOf(SEQ, at + SEQ.length)) received++;
        if (!measuring || c % SAMPLE_EVERY !== 0) return;
        for (const [, n, sent] of data.toString().matchAll(/n=(\d+) sent=(\d+\.\d+)/g)) {
          latency.push(now - Number(sent));
          const answered = answeredAt[Number(n)];
          afterAnswer.push(answered === undefined ? 0 : Math.max(0, now - answered));
        }
      });
      socket.on('close', () => measuring && dropped++);
      return new Promise<WebSocket>((resolve, reject) => {
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      });
    }),
  );
  const memoryOf = () => pids.map(residentMiB);
  const memory: [number, number[]][] = [[0, memoryOf()]];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const url = new URL('/scot/api/v2/alertgroup', server.url);
  const start = clock();
  let posted = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  // Open loop: alertgroups leave on schedule whether or not earlier ones were answered.
  while (clock() - start < (warmupS + durationS) * 1000) {
    measuring = clock() - start >= warmupS * 1000;
    const due = Math.floor(((clock() - start) / 1000) * groupsPerSecond);
    while (posted < due) {
      const sentAt = clock();
      const n = posted++;
      const request = post(agent, url, server.key, alertgroup(index, n, sentAt)).then(
        (status) => {
          answeredAt[n] = clock();
          if (status !== 201) errors++;
          else if (measuring) answers.push(answeredAt[n] - sentAt);
        },
        () => void errors++,
      );
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    const second = Math.floor((clock() - start) / 1000);
    if (second % 10 === 0 && memory.at(-1)![0] !== second) memory.push([second, memoryOf()]);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inFlight);
  measuring = false;
  memory.push([Math.round((clock() - start) / 1000), memoryOf()]);
  for (const socket of sockets) socket.terminate();
  agent.destroy();
  const exited = [server.child, ...server.workers].map((child) => new Promise((resolve) => child.once('exit', resolve)));
  server.cleanup();
  await Promise.all(exited);
  await database?.drop();
  for (const list of [latency, afterAnswer, answers]) list.sort((a, b) => a - b);
  return {
    run,
    posted,
    errors,
    received,
    dropped,
    latency,
    afterAnswer,
    answers,
    memory,
  };
}

const total = (mib: number[]) => mib.reduce((sum, m) => sum + m, 0);

/** The resident memory's growth from the first sample after the warm-up to the last, in MiB and percent. */
function growth(memory: [number, number[]][]): { from: number; mib: number; percent: number } {
  const [from, first] = memory.find(([s]) => s >= warmupS) ?? memory[0];
  const mib = total(memory.at(-1)![1]) - total(first);
  return { from, mib, percent: (mib / total(first)) * 100 };
}

const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(0)}`;

const spread = (sorted: number[]) =>
  sorted.length === 0
    ? 'no samples'
    : `p50 ${percentile(sorted, 50).toFixed(1)}  p99 ${percentile(sorted, 99).toFixed(1)}  max ${sorted.at(-1)?.toFixed(1)}`;

async function main() {
  console.log(
    `stream: ${clients} clients, ${(groupsPerSecond * rows).toFixed(0)} alerts/s in ${groupsPerSecond.toFixed(0)} alertgroups/s ` +
      `of ${rows} rows, ${durationS}s after ${warmupS}s warm-up`,
  );
  const results: Result[] = [];
  for (const [index, run] of runs.entries()) {
    const r = await measure(run, index);
    results.push(r);
    console.log(
      `${run}: alertgroups posted ${r.posted}  errors ${r.errors}  notices received ${r.received}  clients dropped ${r.dropped}`,
    );
    console.log(`  delivery ms (post sent -> notice received)     ${spread(r.latency)}`);
    console.log(`  stream's own ms (201 received -> notice)       ${spread(r.afterAnswer)}`);
    console.log(`  ingest answer ms (post sent -> 201 received)   ${spread(r.answers)}`);
    const g = growth(r.memory);
    console.log(
      `  server memory MiB (api${r.run.includes('split') ? '+worker' : ''})  ` +
        `${r.memory.map(([s, mib]) => `${s}s ${mib.map((m) => m.toFixed(0)).join('+')}`).join('  ')}  ` +
        `| ${g.from}s to end: ${signed(g.mib)} MiB (${signed(g.percent)}%)`,
    );
    if (r.errors > 0 || r.dropped > 0) process.exitCode = 1;
  }
  if (results.length < 2) return;
  const [first] = results;
  console.log(`side by side (ratio to ${first.run}):`);
  console.log(
    '| run | delivery p50 ms | delivery p99 ms | p99 ratio | stream own p99 ms | ingest p99 ms | memory at end MiB | growth after warm-up MiB |',
  );
  for (const r of results) {
    const p99 = percentile(r.latency, 99);
    console.log(
      `| ${r.run} | ${percentile(r.latency, 50).toFixed(1)} | ${p99.toFixed(1)} | ${(p99 / percentile(first.latency, 99)).toFixed(2)} | ` +
        `${percentile(r.afterAnswer, 99).toFixed(1)} | ${percentile(r.answers, 99).toFixed(1)} | ` +
        `${total(r.memory.at(-1)![1]).toFixed(0)} | ${signed(growth(r.memory).mib)} |`,
    );
  }
}

await main();
