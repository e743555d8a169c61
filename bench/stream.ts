/**
 * Stream benchmark: connects WebSocket clients to the change stream while alertgroups are ingested
 * at a steady rate, and prints the delivery latency and the server's memory over the run.
 *
 *   npm run bench:stream -- [--clients 500] [--alerts-per-second 2000] [--rows 10] [--duration 60] [--database-url postgres://...]
 *
 * It starts `dist/cli/main.js serve` (run `npm run build` first) in its own process. Latency runs from
 * sending the POST to a client receiving the notice: an upper bound of commit-to-receipt, since the
 * commit happens within the POST.
 */
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { percentile, post, startServer } from './server.js';

const { values: opts } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    'alerts-per-second': { type: 'string', default: '2000' },
    rows: { type: 'string', default: '10' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    'database-url': { type: 'string' },
    role: { type: 'string' },
    workers: { type: 'string', default: '0' },
    profile: { type: 'string' },
  },
});
const clients = Number(opts.clients);
const rows = Number(opts.rows);
const groupsPerSecond = Number(opts['alerts-per-second']) / rows;
const durationS = Number(opts.duration);
const warmupS = Number(opts.warmup);

/** Milliseconds on a clock this process and its clients share, with sub-millisecond precision. */
const clock = () => performance.timeOrigin + performance.now();

/** The server's resident memory in MiB, from the kernel's view of its process. */
function residentMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

function alertgroup(n: number, sentAt: number): string {
  const data = Array.from({ length: rows }, (_, i) => ({
    src_ip: `10.${(n >> 8) & 255}.${n & 255}.${i}`,
    signature: 'ET POLICY outbound',
    count: i + 1,
  }));
  // The subject carries the send time, so each client measures its own delivery without a lookup.
  return JSON.stringify({
    message_id: `stream-bench-${process.pid}-${n}`,
    subject: `bench sent=${sentAt.toFixed(3)}`,
    data,
    tag: ['bench'],
  });
}

async function main() {
  const server = await startServer({
    databaseUrl: opts['database-url'],
    role: opts.role,
    workers: Number(opts.workers),
    nodeArgs: opts.profile ? ['--cpu-prof', '--cpu-prof-dir', opts.profile] : [],
  });
  const pid = server.child.pid!;
  const streamUrl = `${server.url.replace(/^http/, 'ws')}/scot/api/v2/stream`;
  const latencies: number[] = [];
  /** From sending a POST to its answer: the part of the delivery latency that is ingest's. */
  const answers: number[] = [];
  let received = 0;
  let closedEarly = 0;
  let measuring = false;
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => {
      const socket = new WebSocket(streamUrl, { headers: { authorization: `Bearer ${server.key}` } });
      // A frame `{"notices": [...]}` carries every notice of its interval: each subject names its send time.
      socket.on('message', (data) => {
        const now = clock();
        for (const [, sent] of data.toString().matchAll(/sent=(\d+\.\d+)/g)) {
          received++;
          if (measuring) latencies.push(now - Number(sent));
        }
      });
      socket.on('close', () => measuring && closedEarly++);
      return new Promise<WebSocket>((resolve, reject) => {
        socket.once('open', () => resolve(socket));
        socket.once('error', reject);
      });
    }),
  );
  const memory: [number, number][] = [[0, residentMiB(pid)]];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const url = new URL('/scot/api/v2/alertgroup', server.url);
  const start = clock();
  let sentGroups = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  // Open loop: alertgroups leave on schedule whether or not earlier ones were answered.
  while (clock() - start < (warmupS + durationS) * 1000) {
    measuring = clock() - start >= warmupS * 1000;
    const due = Math.floor(((clock() - start) / 1000) * groupsPerSecond);
    while (sentGroups < due) {
      const sentAt = clock();
      const request = post(agent, url, server.key, alertgroup(sentGroups++, sentAt)).then(
        (status) => {
          if (status !== 201) errors++;
          else if (measuring) answers.push(clock() - sentAt);
        },
        () => void errors++,
      );
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    const second = Math.floor((clock() - start) / 1000);
    if (second % 10 === 0 && memory.at(-1)![0] !== second) memory.push([second, residentMiB(pid)]);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inFlight);
  measuring = false;
  memory.push([Math.round((clock() - start) / 1000), residentMiB(pid)]);
  for (const socket of sockets) socket.terminate();
  agent.destroy();
  server.cleanup();
  latencies.sort((a, b) => a - b);
  console.log(
    `stream: ${clients} clients, ${(groupsPerSecond * rows).toFixed(0)} alerts/s in ${groupsPerSecond.toFixed(0)} alertgroups/s of ${rows} rows, ` +
      `${durationS}s after ${warmupS}s warm-up (${opts['database-url'] ? 'PostgreSQL' : 'SQLite'})`,
  );
  console.log(
    `  alertgroups posted ${sentGroups}   errors ${errors}   notices received ${received}   clients dropped ${closedEarly}`,
  );
  console.log(
    `  delivery latency ms (post sent -> client received)  p50 ${percentile(latencies, 50).toFixed(2)}  ` +
      `p99 ${percentile(latencies, 99).toFixed(2)}  max ${latencies.at(-1)?.toFixed(2)}`,
  );
  answers.sort((a, b) => a - b);
  console.log(
    `  ingest answer ms (post sent -> 201 received)          p50 ${percentile(answers, 50).toFixed(2)}  ` +
      `p99 ${percentile(answers, 99).toFixed(2)}  max ${answers.at(-1)?.toFixed(2)}`,
  );
  console.log(`  server memory MiB  ${memory.map(([s, mib]) => `${s}s ${mib.toFixed(0)}`).join('  ')}`);
  if (errors > 0 || closedEarly > 0) process.exitCode = 1;
}

await main();
