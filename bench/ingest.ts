/**
 * Ingest benchmark: posts alertgroups over HTTP with keep-alive and prints alerts/s and latency.
 *
 *   npm run bench:ingest -- [--duration 20] [--connections 32] [--rows 10] [--database-url postgres://...]
 *   npm run bench:ingest -- --url http://host:8080 --key <api key>      (an already running server)
 *
 * Without --url it builds nothing: it starts `dist/cli/main.js serve` (run `npm run build` first)
 * on a fresh data folder and a free loopback port, so the server has its own process and core.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { percentile, post, startServer } from './server.js';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    rows: { type: 'string', default: '10' },
    'database-url': { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
  },
});
const durationS = Number(opts.duration);
const warmupS = Number(opts.warmup);
const connections = Number(opts.connections);
const rowsPerGroup = Number(opts.rows);

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

async function main() {
  const server = opts.url ? undefined : await startServer(opts['database-url']);
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
  await Promise.all(Array.from({ length: connections }, worker));
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
}

await main();
