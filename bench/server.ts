/** What the benchmarks share: a server of their own in its own process, and keep-alive posts to it. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A loopback port free now: the system picks one for a probe that is closed again. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The flags the `#!` line of the build `cli` gives node (`#!/usr/bin/env -S node FLAGS`): the server runs as installed. */
export function nodeFlagsOf(cli: string): string[] {
  const first = fs.readFileSync(cli, 'utf8').split('\n', 1)[0];
  return /^#!\/usr\/bin\/env -S node (.+)$/.exec(first)?.[1].trim().split(/\s+/) ?? [];
}

/**
 * Starts `serve` of the build `cli` in its role on a free loopback port, with an admin API key: on a
 * fresh data folder, removed at cleanup, or on `dataDir`, kept. `startMs` is how long it took to listen.
 * With `workers`, that many `serve --role worker` processes run beside it on the same database. Each
 * server process's node gets the flags of the build's `#!` line, then `nodeArgs` (e.g. `--cpu-prof`);
 * `env` adds settings (`SCOT_CONSUMERS`).
 */
export async function startServer(
  options: {
    databaseUrl?: string;
    cli?: string;
    role?: string;
    dataDir?: string;
    workers?: number;
    /** Flags for node itself, such as `--cpu-prof`. */
    nodeArgs?: string[];
    env?: Record<string, string>;
  } = {},
): Promise<{
  url: string;
  key: string;
  child: ChildProcess;
  workers: ChildProcess[];
  startMs: number;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}> {
  const cli = path.resolve(options.cli ?? 'dist/cli/main.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'scot-bench-'));
  const port = await freePort();
  const env = {
    ...process.env,
    SCOT_DATA_DIR: dataDir,
    SCOT_PORT: String(port),
    SCOT_HOST: '127.0.0.1',
    SCOT_ADMIN_PASSWORD: 'bench-password',
    SCOT_LOG_LEVEL: 'warn',
    ...(options.databaseUrl ? { SCOT_DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  const serve = (role: string | undefined, ready: string) => {
    const nodeArgs = [...nodeFlagsOf(cli), ...(options.nodeArgs ?? [])];
    const process_ = spawn(process.execPath, [...nodeArgs, cli, 'serve', ...(role ? ['--role', role] : [])], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = new Promise<void>((resolve, reject) => {
      process_.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes(ready) && resolve());
      process_.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    return { process_, started };
  };
  const started = performance.now();
  const main = serve(options.role, 'listening');
  const child = main.process_;
  await main.started;
  const startMs = performance.now() - started;
  // Workers start once the first process migrated the database.
  const workers = Array.from({ length: options.workers ?? 0 }, () => serve('worker', 'running background jobs'));
  await Promise.all(workers.map((w) => w.started));
  const key = await apikeyOf(cli, env, 'admin');
  return {
    url: `http://127.0.0.1:${port}`,
    key,
    child,
    workers: workers.map((w) => w.process_),
    startMs,
    env,
    cleanup: () => {
      child.kill('SIGTERM');
      for (const worker of workers) worker.process_.kill('SIGTERM');
      if (!options.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A new API key of `user`, made by the CLI of the build `cli`. A server starting on a database with
 * background work left over (flair of alerts posted by an earlier run) may hold the SQLite writer
 * longer than the CLI waits: it tries again for a minute.
 */
export async function apikeyOf(cli: string, env: NodeJS.ProcessEnv, user: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync(process.execPath, [cli, 'apikey', 'create', '--user', user, '--name', 'bench'], { env, stdio: 'pipe' })
        .toString()
        .trim()
        .split('\n')
        .at(-1)!;
    } catch (err) {
      if (attempt >= 12 || !String((err as { stderr?: Buffer }).stderr).includes('database is locked')) throw err;
      await sleep(5000);
    }
  }
}

/** POSTs `body` with the API key; the answer's status. */
export function post(agent: http.Agent, url: URL, key: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${key}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The value below which `p` percent of the sorted values lie. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** A GET, or a POST of `body`, with the API key; the answer's status. */
export function request(agent: http.Agent, url: URL, key: string, body?: string): Promise<number> {
  return call(agent, url, key, body === undefined ? 'GET' : 'POST', body).then((r) => r.status);
}

/** One request; its status and JSON body. */
export function call(
  agent: http.Agent,
  url: URL,
  key: string,
  method: string,
  body?: string,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers:
          body === undefined
            ? { authorization: `Bearer ${key}` }
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** p50, p90, p99 and max of latencies in ms, as one line. */
export function spread(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  if (sorted.length === 0) return 'no samples';
  return `${[50, 90, 99].map((p) => `p${p} ${percentile(sorted, p).toFixed(2)}`).join('  ')}  max ${sorted.at(-1)!.toFixed(2)}`;
}

/**
 * Alertgroup `n` of the ingest benchmarks: `rows` alerts, each with a source address of its own (a new
 * entity for flair) and a destination all share, tags and a source from small pools.
 */
export function benchAlertgroup(n: number, rows: number) {
  const data = Array.from({ length: rows }, (_, i) => ({
    src_ip: `10.${(n >> 8) & 255}.${n & 255}.${i}`,
    dest_ip: '192.0.2.10',
    dest_port: 443,
    signature: 'ET POLICY Suspicious outbound connection',
    host: `ws-${n % 500}.corp.example`,
    count: i + 1,
  }));
  return {
    message_id: `bench-${process.pid}-${n}`,
    subject: `Detectotron3k Alert: Bad Stuff Found #${n % 100}`,
    data,
    tag: ['bench', 'ids'],
    source: ['detectotron3k'],
    columns: ['src_ip', 'dest_ip', 'dest_port', 'signature', 'host', 'count'],
  };
}
