/**
 * Ingest benchmark: posts alertgroups over HTTP with keep-alive and prints alerts/s and latency.
 *
 *   npm run bench:ingest -- [--duration 20] [--connections 32] [--rows 10] [--database-url postgres://...]
 *   npm run bench:ingest -- --url http://host:8080 --key <api key>      (an already running server)
 *   npm run bench:ingest -- --flair     (two servers in one run: `--role api` without flair, then with flair running)
 *
 * Without --url it builds nothing: it starts `dist/cli/main.js serve` (run `npm run build` first)
 * on a fresh data folder and a free loopback port, so the server has its own process and core.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    rows: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
    flair: { type: 'boolean', default: false },
  },
});
const durationS = Number(opts.duration);
const warmupS = Number(opts.warmup);
const connections = Number(opts.connections);
const rowsPerGroup = Number(opts.rows);

const CLI = path.resolve('dist/cli/main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startServer(role = 'all'): Promise<{ url: string; key: string; child: ChildProcess; cleanup(): void }> {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scot-bench-'));
  const port = await freePort();
  const env = {
    ...process.env,
    SCOT_DATA_DIR: dataDir,
    SCOT_PORT: String(port),
    SCOT_HOST: '127.0.0.1',
    SCOT_ADMIN_PASSWORD: 'bench-password',
    SCOT_LOG_LEVEL: 'warn',
    ...(opts['database-url'] ? { SCOT_DATABASE_URL: opts['database-url'] } : {}),
  };
  const child = spawn(process.execPath, [CLI, 'serve', '--role', role], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const key = execFileSync(process.execPath, [CLI, 'apikey', 'create', '--user', 'admin', '--name', 'bench'], { env })
    .toString()
    .trim()
    .split('\n')
    .at(-1)!;
  return {
    url: `http://127.0.0.1:${port}`,
    key,
    child,
    cleanup: () => {
      child.kill('SIGTERM');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function alertgroup(n: number): string {
  const data = [];
  for (let i = 0; i < rowsPerGroup; i++) {
    data.push({
      src_ip: `10.${(n >> 8) & 255}.${n & 255}.${i}`,
      dest_ip: '192.0.2.10',
      dest_port: 443,
      signature: 'ET POLICY Suspicious outbound connection',
      host: `ws-${n % 500}.corp.example`,
      count: i + 1,
    });
  }
  return JSON.stringify({
    message_id: `bench-${process.pid}-${n}`,
    subject: `Detectotron3k Alert: Bad Stuff Found #${n % 100}`,
    data,
    tag: ['bench', 'ids'],
    source: ['detectotron3k'],
    columns: ['src_ip', 'dest_ip', 'dest_port', 'signature', 'host', 'count'],
  });
}

function post(agent: http.Agent, url: URL, key: string, body: string): Promise<number> {
  return request(agent, url, key, 'POST', body).then((r) => r.status);
}

/** One request; its status and JSON body. */
function request(agent: http.Agent, url: URL, key: string, method: string, body?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: body === undefined ? { authorization: `Bearer ${key}` } : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/**
 * While the load runs: every 100 ms posts one more alertgroup and polls its first alert until flair is done;
 * the flair lag is the time from its commit (the 201) to its entities being queryable.
 */
async function sampleFlairLag(agent: http.Agent, base: string, key: string, until: number): Promise<number[]> {
  const lags: number[] = [];
  for (let n = 0; performance.now() < until; n++) {
    const posted = await request(agent, new URL('/scot/api/v2/alertgroup', base), key, 'POST', alertgroup(1_000_000 + n));
    const committed = performance.now();
    const alert = new URL(`/scot/api/v2/alert/${posted.body.alerts[0]}`, base);
    for (let i = 0; i < 2000 && (await request(agent, alert, key, 'GET')).body.flair !== 'done'; i++) await new Promise((r) => setTimeout(r, 10));
    lags.push(performance.now() - committed);
    await new Promise((r) => setTimeout(r, 100));
  }
  return lags.sort((a, b) => a - b);
}

async function run(role: string): Promise<{ rate: number; lags: number[] }> {
  const server = opts.url ? undefined : await startServer(role);
  const base = opts.url ?? server!.url;
  const key = opts.key ?? server?.key;
  if (!key) throw new Error('--url needs --key');
  const url = new URL('/scot/api/v2/alertgroup', base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let counter = 0;
  let errors = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const measureFrom = start + warmupS * 1000;
  const end = measureFrom + durationS * 1000;
  let measured = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const body = alertgroup(counter++);
      const t0 = performance.now();
      const status = await post(agent, url, key, body);
      const t1 = performance.now();
      if (status !== 201) errors++;
      if (t0 >= measureFrom) {
        latencies.push(t1 - t0);
        measured++;
      }
    }
  };
  const sampler = role === 'all' && opts.flair ? sampleFlairLag(new http.Agent({ keepAlive: true }), base, key, end) : Promise.resolve([]);
  await Promise.all(Array.from({ length: connections }, worker));
  const lags = await sampler;
  const elapsed = (performance.now() - measureFrom) / 1000;
  agent.destroy();
  server?.cleanup();
  latencies.sort((a, b) => a - b);
  const rate = measured / elapsed;
  console.log(`ingest: ${connections} keep-alive connections, ${rowsPerGroup} rows per alertgroup, ${durationS}s after ${warmupS}s warm-up` +
    (opts['database-url'] ? ' (PostgreSQL)' : opts.url ? '' : ' (SQLite)'));
  console.log(`  alertgroups/s ${rate.toFixed(0)}   alerts/s ${(rate * rowsPerGroup).toFixed(0)}   errors ${errors}`);
  console.log(
    `  latency ms  p50 ${percentile(latencies, 50).toFixed(2)}  p90 ${percentile(latencies, 90).toFixed(2)}  ` +
      `p99 ${percentile(latencies, 99).toFixed(2)}  max ${latencies.at(-1)!.toFixed(2)}`,
  );
  if (errors > 0) process.exitCode = 1;
  return { rate: rate * rowsPerGroup, lags };
}

if (opts.flair) {
  const without = await run('api');
  const withFlair = await run('all');
  const { lags } = withFlair;
  console.log(`flair: alerts/s with flair running ${withFlair.rate.toFixed(0)} = ${((100 * withFlair.rate) / without.rate).toFixed(0)}% of ${without.rate.toFixed(0)} without`);
  console.log(`  flair lag ms (commit to entities queryable, ${lags.length} samples)  p50 ${percentile(lags, 50).toFixed(0)}  p99 ${percentile(lags, 99).toFixed(0)}  max ${lags.at(-1)!.toFixed(0)}`);
} else {
  await run('all');
}
