import v8 from 'node:v8';
import { createApp } from '../app/context.js';
import { ensureAdmin } from '../app/user.js';
import type { Config } from '../config.js';
import { enrichersOf } from '../enrich/plugin.js';
import { buildServer } from '../http/server.js';
import { startBackground, workOf } from '../jobs/background.js';
import { MAIN_SLOT, startBackgroundThread } from '../jobs/background-thread.js';
import { ThreadLock } from '../store/dialect/thread-lock.js';
import { isPostgresUrl, openStore } from '../store/index.js';

/** What one `scot serve` process does: everything (the embedded default), only the HTTP API, or only background work. */
export const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** Whether `databaseUrl` names an SQLite file (not PostgreSQL, not an in-memory database). */
const onFile = (databaseUrl: string) => !isPostgresUrl(databaseUrl) && !databaseUrl.endsWith(':memory:');

/**
 * How far V8 lets the old generation grow past what survived its last full collection before it
 * collects again. Left to itself, on a machine with memory to spare, it allows up to four times that:
 * under steady ingest the server's memory climbed by 100 MiB and more of garbage before each
 * collection. Twice bounds that garbage by the live heap, at a cost to ingest within bench:ingest's noise.
 */
const HEAP_GROWING_PERCENT = 100;

/** Bounds V8's heap growth (HEAP_GROWING_PERCENT), unless node's own command line sets it. */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv) {
  if (execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** Opens the store (migrating it), makes sure an admin exists, and serves its role until told to stop. */
export async function serve(config: Config, role: Role = 'all'): Promise<void> {
  boundHeapGrowth();
  // A plugin that does not load, or an enricher listed but missing, stops the start with one line.
  await enrichersOf(config);
  // On an SQLite file, the one process's background work runs on a thread of its own, whose writer
  // takes turns with this thread's; with PostgreSQL, worker nodes share it.
  const lock = role === 'all' && onFile(config.databaseUrl) ? new ThreadLock() : undefined;
  const store = await openStore(config.databaseUrl, {
    sqliteSync: config.sqliteSync,
    sqliteCacheMiB: config.sqliteCacheMiB,
    sqliteReadThreads: config.sqliteReadThreads,
    shared: lock && { lock, slot: MAIN_SLOT },
  });
  const app = createApp(store, config);
  let server: Awaited<ReturnType<typeof buildServer>> | undefined;
  if (role !== 'worker') {
    const admin = await ensureAdmin(app);
    server = await buildServer(app);
    await server.listen({ port: config.port, host: config.host });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    console.log(`SCOT is listening on http://${shownHost}:${port}/scot/api/v2 (database: ${store.describe})`);
    if (admin.admin) {
      // A new install, or one whose users were all made before the first start: nobody could administer it.
      const what = admin.admin === 'created' ? 'created user "admin"' : 'made user "admin" an enabled admin';
      if (admin.password) {
        console.log(`No enabled admin: ${what} with password: ${admin.password}`);
        console.log('It is shown only this once; change it with `scot user passwd admin`.');
      } else {
        console.log(`No enabled admin: ${what} with the password from SCOT_ADMIN_PASSWORD.`);
      }
    }
  }
  // Background work may take a moment to start (a thread loads its modules): a stop meanwhile waits for it.
  const background = role === 'api' ? undefined : lock ? startBackgroundThread(app, lock) : startBackground(app, workOf(config));
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing requests and jobs in flight, then stopping`);
    await server?.close();
    await (await background)?.stop();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await background;
  if (role === 'worker')
    console.log(`SCOT worker is running background jobs, with no HTTP listener (database: ${store.describe})`);
}
