/**
 * Search benchmark: loads alertgroups, alerts and entries with realistic text and indicators,
 * rebuilds the search index from them (what `scot search reindex` runs, timed), then asks the built server
 * five kinds of query over HTTP as a user of the read group and prints p50/p99 latency.
 *
 *   npm run build && npm run bench:search -- [--alerts 1000000] [--groups 100000] [--entries 100000]
 *                                            [--queries 200] [--database-url postgres://.../empty_db]
 *                                            [--keep /var/tmp/scot-bench-search] [--no-reindex] [--both]
 *
 * The rows are written straight to the tables (loading is not what is measured); the server runs as
 * `dist/cli/main.js` in its own process. With `--keep DIR` the data folder (and the SQLite file in
 * it) stays after the run, and a later run with the same `--keep` (and `--database-url`) finds the
 * rows already loaded and skips loading them: iterating on queries then takes seconds, not an hour.
 * `--no-reindex` also skips the timed rebuild, when the kept index is current. `--both` with
 * `--database-url` measures SQLite (in the data folder) and PostgreSQL side by side: both servers
 * run at once, each query goes to one then the other, and the table ends with PostgreSQL's p99 over
 * SQLite's.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../src/app/context.js';
import { reindexSearch } from '../src/app/search.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/store/index.js';
import { freePort, nodeFlagsOf } from './server.js';

const { values: opts } = parseArgs({
  options: {
    alerts: { type: 'string', default: '1000000' },
    groups: { type: 'string', default: '100000' },
    entries: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    'database-url': { type: 'string' },
    keep: { type: 'string' },
    both: { type: 'boolean', default: false },
    'no-reindex': { type: 'boolean', default: false },
  },
});
const ALERTS = Number(opts.alerts);
const GROUPS = Number(opts.groups);
const ENTRIES = Number(opts.entries);
const QUERIES = Number(opts.queries);
const CLI = path.resolve('dist/cli/main.js');

/** A deterministic generator, so every run loads the same data. */
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
/** Skewed towards the first items, as word use is. */
const pickSkewed = <T>(items: readonly T[]): T => items[Math.floor(random() ** 3 * items.length)];

const WORDS = (
  'login failed password user session denied accepted connection outbound inbound beacon malware phishing ' +
  'invoice attachment macro powershell dropper lateral movement credential dump scan port blocked allowed firewall ' +
  'proxy request response certificate expired suspicious domain resolved query process spawned parent child registry ' +
  'persistence scheduled task service installed kernel driver signed unsigned hash reputation verdict clean quarantined ' +
  'analyst escalated ticket closed duplicate benign false positive confirmed incident host workstation server laptop'
).split(' ');
const TLDS = ['com', 'net', 'org', 'io', 'ru', 'cn', 'info'];
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const ip = () => `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`;
const domain = () => `${pick(WORDS)}-${pick(WORDS)}${Math.floor(random() * 500)}.${pick(TLDS)}`;
const sentence = (n: number) => Array.from({ length: n }, () => pickSkewed(WORDS)).join(' ');

/** The indicators the queries look for, planted once (the hash) or a few times (the IP). */
const RARE_HASH = 'c0ffee'.padEnd(64, 'e');
const KNOWN_IP = '192.0.2.77';

/** Loads the rows, unless a kept database already holds them all; false when it did not load. */
async function load(url: string): Promise<boolean> {
  const store = await openStore(url);
  const db = store.db as any;
  const held = async (table: string) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb: any) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const perGroupHeld = Math.max(1, Math.round(ALERTS / GROUPS));
  if (
    (await held('alertgroup')) === GROUPS &&
    (await held('alert')) === perGroupHeld * GROUPS &&
    (await held('entry')) === ENTRIES
  ) {
    console.log(
      `reusing the ${GROUPS} alertgroups, ${perGroupHeld * GROUPS} alerts and ${ENTRIES} entries already loaded (${store.kind})`,
    );
    await store.close();
    return false;
  }
  if ((await held('alertgroup')) > 0)
    throw new Error('the database holds other data: give an empty one, or the --keep folder of the same sizes');
  const now = Math.floor(Date.now() / 1000);
  const tracked = (i: number) => ({
    status: 'open',
    owner: 'bench',
    created: now - (i % 86_400) * 60,
    updated: now,
    deleted_at: null,
    read_groups: '["ir"]',
    modify_groups: '["ir"]',
  });
  const perGroup = Math.max(1, Math.round(ALERTS / GROUPS));
  const [tag] = await db.insertInto('tag').values({ name: 'phishing', description: '', created: now }).returning('id').execute();
  const started = Date.now();
  for (let g = 0; g < GROUPS; g += 1000) {
    await db.transaction().execute(async (tx: any) => {
      const groups = Array.from({ length: Math.min(1000, GROUPS - g) }, (_, i) => ({
        ...tracked(g + i),
        message_id: null,
        subject: `${pick(['IDS', 'Splunk', 'Sandbox', 'Proxy'])}: ${sentence(5)} on ${domain()}`,
        columns: '["host","src","dst","sha256","message"]',
        alert_count: perGroup,
        open_count: perGroup,
        closed_count: 0,
        promoted_count: 0,
      }));
      const ids: { id: number }[] = await tx.insertInto('alertgroup').values(groups).returning('id').execute();
      const alerts = ids.flatMap(({ id }) =>
        Array.from({ length: perGroup }, (_, j) => ({
          ...tracked(id + j),
          alertgroup_id: id,
          promotion_id: null,
          data: JSON.stringify({
            host: `ws-${Math.floor(random() * 5000)}`,
            src: id % 997 === 0 && j === 0 ? KNOWN_IP : ip(),
            dst: domain(),
            sha256: id === ids[0].id && g === 0 && j === 0 ? RARE_HASH : hex(64),
            message: sentence(12),
          }),
        })),
      );
      for (let i = 0; i < alerts.length; i += 500)
        await tx
          .insertInto('alert')
          .values(alerts.slice(i, i + 500))
          .execute();
      const tagged = ids
        .filter(({ id }) => id % 10 === 0)
        .map(({ id }) => ({ label_id: tag.id, target_type: 'alertgroup', target_id: id }));
      if (tagged.length) await tx.insertInto('tag_link').values(tagged).execute();
    });
  }
  for (let e = 0; e < ENTRIES; e += 1000) {
    const entries = Array.from({ length: Math.min(1000, ENTRIES - e) }, (_, i) => ({
      ...tracked(e + i),
      target_type: 'alertgroup',
      target_id: 1 + ((e + i) % GROUPS),
      parent_id: null,
      class: 'entry',
      task_status: null,
      task_who: null,
      task_when: null,
      body: `<p>${sentence(20)}</p><p>seen ${ip()} talking to <b>${domain()}</b>; ${sentence(10)}</p>`,
    }));
    for (let i = 0; i < entries.length; i += 500)
      await db
        .insertInto('entry')
        .values(entries.slice(i, i + 500))
        .execute();
  }
  console.log(
    `loaded ${GROUPS} alertgroups, ${perGroup * GROUPS} alerts, ${ENTRIES} entries in ${((Date.now() - started) / 1000).toFixed(0)} s (${store.kind})`,
  );
  await store.close();
  return true;
}

/** Rebuilds the index as `scot search reindex` does, timing it by the clock and by this process's CPU (SQLite works in it). */
async function reindex(url: string, dataDir: string): Promise<{ documents: number; seconds: number; cpuSeconds: number }> {
  const store = await openStore(url);
  const app = createApp(store, loadConfig({ SCOT_DATA_DIR: dataDir, SCOT_DATABASE_URL: url }));
  const started = Date.now();
  const cpu = process.cpuUsage();
  const { documents } = await reindexSearch(app, { userId: 0, username: 'bench', groups: [], admin: true });
  const used = process.cpuUsage(cpu);
  const seconds = (Date.now() - started) / 1000;
  await store.close();
  return { documents, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

function get(agent: http.Agent, url: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** CPU seconds process `pid` has used (Linux): on a shared machine, what a query costs apart from waiting for a core. */
function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** One database under test: its server, the analyst's key, and what its rebuild measured. */
interface Target {
  name: string;
  port: number;
  key: string;
  child: ChildProcess;
  agent: http.Agent;
  rebuilt?: { documents: number; seconds: number; cpuSeconds: number };
}

/** Loads (or reuses) one database, rebuilds its index, and starts the built server on it as `--role api`. */
async function prepare(name: string, url: string, dataDir: string): Promise<Target> {
  const port = await freePort();
  const env = {
    ...process.env,
    SCOT_DATA_DIR: dataDir,
    SCOT_DATABASE_URL: url,
    SCOT_PORT: String(port),
    SCOT_HOST: '127.0.0.1',
    SCOT_ADMIN_PASSWORD: 'bench-password',
    SCOT_LOG_LEVEL: 'warn',
  };
  const loaded = await load(url);
  const rebuilt = loaded || !opts['no-reindex'] ? await reindex(url, dataDir) : undefined;
  if (rebuilt) {
    const { documents, seconds, cpuSeconds } = rebuilt;
    console.log(
      `  ${name} reindex: ${documents} documents in ${seconds.toFixed(1)} s: ${Math.round(documents / seconds)}/s wall, ${Math.round(documents / cpuSeconds)}/s of this process's CPU`,
    );
  }
  try {
    execFileSync(process.execPath, [CLI, 'user', 'add', 'analyst', '--group', 'ir', '--no-password'], { env, stdio: 'pipe' });
  } catch (err) {
    // A kept database has the analyst from its first run.
    if (loaded) throw err;
  }
  const key = execFileSync(process.execPath, [CLI, 'apikey', 'create', '--user', 'analyst', '--name', 'bench'], { env })
    .toString()
    .trim()
    .split('\n')
    .at(-1)!;
  const child = spawn(process.execPath, [...nodeFlagsOf(CLI), CLI, 'serve', '--role', 'api'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { name, port, key, child, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), rebuilt };
}

const KINDS: [string, string][] = [
  ['common word', 'login'],
  ['phrase', '"failed password"'],
  ['exact IP', KNOWN_IP],
  ['rare hash', RARE_HASH],
  ['tag: plus word', 'tag:phishing beacon'],
];

/**
 * Asks every target each kind of query in turn, one target after the other within each round, so
 * that both see the same load from the rest of the machine; prints p50/p99 per target, and with two
 * targets the ratio of the second's to the first's.
 */
async function measure(targets: Target[]): Promise<void> {
  const address = (t: Target, q: string) => `http://127.0.0.1:${t.port}/scot/api/v2/search?q=${encodeURIComponent(q)}&limit=25`;
  const head = targets.map((t) => `${t.name.padStart(10)} p50   p99  CPU ms`).join('   ');
  console.log(`  query           ${head}${targets.length === 2 ? '   p99 ratio' : ''}`);
  for (const [kind, q] of KINDS) {
    for (const t of targets) for (let i = 0; i < 5; i++) await get(t.agent, address(t, q), t.key);
    const latencies = targets.map((): number[] => []);
    const cpuBefore = targets.map((t) => cpuSecondsOf(t.child.pid!));
    for (let i = 0; i < QUERIES; i++) {
      for (const [n, t] of targets.entries()) {
        const started = process.hrtime.bigint();
        const status = await get(t.agent, address(t, q), t.key);
        latencies[n].push(Number(process.hrtime.bigint() - started) / 1e6);
        if (status !== 200) throw new Error(`${t.name} ${kind}: HTTP ${status}`);
      }
    }
    const cells = targets.map((t, n) => {
      const sorted = latencies[n].sort((a, b) => a - b);
      const cpuMs = ((cpuSecondsOf(t.child.pid!) - cpuBefore[n]) * 1000) / QUERIES;
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), cpuMs };
    });
    const row = cells.map(
      (c) => `${c.p50.toFixed(1).padStart(14)} ${c.p99.toFixed(1).padStart(5)} ${c.cpuMs.toFixed(1).padStart(6)}`,
    );
    const ratio = cells.length === 2 ? `   ${(cells[1].p99 / cells[0].p99).toFixed(2).padStart(9)}` : '';
    console.log(`  ${kind.padEnd(15)}${row.join('   ')}${ratio}`);
  }
}

async function main() {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const kept = opts.keep !== undefined;
  if (kept) fs.mkdirSync(opts.keep!, { recursive: true });
  const dataDir = kept ? path.resolve(opts.keep!) : fs.mkdtempSync(path.join(os.tmpdir(), 'scot-bench-search-'));
  const pgUrl = opts['database-url'];
  const plan: [string, string, string][] = [];
  if (!pgUrl || opts.both) plan.push(['SQLite', path.join(dataDir, 'sqlite', 'scot.sqlite'), path.join(dataDir, 'sqlite')]);
  if (pgUrl) plan.push(['PostgreSQL', pgUrl, path.join(dataDir, 'postgres')]);
  const targets: Target[] = [];
  console.log(
    `search bench: ${GROUPS} alertgroups, ${ALERTS} alerts, ${ENTRIES} entries; ${os.cpus().length} × ${os.cpus()[0].model}`,
  );
  try {
    for (const [name, url, dir] of plan) {
      fs.mkdirSync(dir, { recursive: true });
      targets.push(await prepare(name, url, dir));
    }
    console.log(
      `  load average while measuring: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    await measure(targets);
  } finally {
    for (const t of targets) {
      t.agent.destroy();
      t.child.kill('SIGTERM');
    }
    if (!kept) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
