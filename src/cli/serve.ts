import { ensureAdmin } from '../app/auth.js';
import { createApp } from '../app/context.js';
import type { Config } from '../config.js';
import { buildServer } from '../http/server.js';
import { openStore } from '../store/index.js';

/** Opens the store (migrating it), makes sure an admin exists, and serves until told to stop. */
export async function serve(config: Config): Promise<void> {
  const store = await openStore(config.databaseUrl, { sqliteSync: config.sqliteSync });
  const app = createApp(store, config);
  const admin = await ensureAdmin(app);
  const server = await buildServer(app);
  await server.listen({ port: config.port, host: config.host });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  console.log(`SCOT is listening on http://${shownHost}:${port}/scot/api/v2 (database: ${store.describe})`);
  if (admin.created && admin.password) {
    console.log(`First start: created user "admin" with password: ${admin.password}`);
    console.log('It is shown only this once; change it with `scot user passwd admin`.');
  } else if (admin.created) {
    console.log('First start: created user "admin" with the password from SCOT_ADMIN_PASSWORD.');
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing requests in flight, then stopping`);
    await server.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
