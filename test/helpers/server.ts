import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApikey } from '../../src/app/auth.js';
import { createApp, type App } from '../../src/app/context.js';
import { createUser, ensureAdmin } from '../../src/app/user.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Principal } from '../../src/domain/principal.js';
import { buildServer, type ServerOptions } from '../../src/http/server.js';
import { BUILT_IN, startBackground } from '../../src/jobs/background.js';
import { openStore } from '../../src/store/index.js';
import type { Backend } from './backend.js';

export const ADMIN_PASSWORD = 'admin-test-password';

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

/** Talks JSON to the API with an API key or a session cookie. */
export class Client {
  constructor(
    readonly base: string,
    readonly auth: { key?: string; cookie?: string } = {},
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.auth.key) headers.authorization = `Bearer ${this.auth.key}`;
    if (this.auth.cookie) headers.cookie = this.auth.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body: unknown) => this.request('POST', path, body);
  put = (path: string, body: unknown) => this.request('PUT', path, body);
  del = (path: string) => this.request('DELETE', path);
}

export interface TestServer {
  app: App;
  server: FastifyInstance;
  /** http://127.0.0.1:<port>/scot/api/v2 */
  base: string;
  anonymous: Client;
  /** A user in `groups` (created) with an API key client. */
  user(username: string, groups: string[], password?: string): Promise<Client>;
  /** Signs in with username and password; the client carries the session cookie. */
  login(username: string, password: string): Promise<Client>;
  admin: Client;
  close(): Promise<void>;
}

const cli: Principal = { userId: 0, username: 'test', groups: [], admin: true };

export interface TestServerOptions extends ServerOptions {
  /** Also run the built-in background work (flair, jobs), as `scot serve` does. */
  background?: boolean;
  /** Settings that differ from the defaults, e.g. a small `listCountBound`. */
  config?: Partial<Config>;
}

/** Starts the real server on a random loopback port over a fresh database of `backend`. */
export async function startServer(backend: Backend, options: TestServerOptions = {}): Promise<TestServer> {
  const db = await backend.create();
  const config = {
    ...loadConfig({ SCOT_DATA_DIR: db.dataDir, SCOT_DATABASE_URL: db.url, SCOT_ADMIN_PASSWORD: ADMIN_PASSWORD }),
    port: 0,
    host: '127.0.0.1',
    ...options.config,
  };
  const store = await openStore(config.databaseUrl);
  const app = createApp(store, config);
  await ensureAdmin(app);
  const { background: withBackground, config: _settings, ...serverOptions } = options;
  // Views are stored when a test flushes them, not by a timer that a loaded machine makes fire mid-test.
  const server = await buildServer(app, { logLevel: false, viewFlushSeconds: 3600, ...serverOptions });
  await server.listen({ port: 0, host: '127.0.0.1' });
  // Polls often: a test waits for background work by polling the API, and no other node commits here.
  const background = withBackground ? await startBackground(app, BUILT_IN, { pollMs: 50 }) : undefined;
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/scot/api/v2`;
  const keyFor = async (username: string) => (await createApikey(app, cli, username, 'test')).key;
  const login = async (username: string, password: string) => {
    const res = await new Client(base).post('/login', { username, password });
    if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    return new Client(base, { cookie });
  };
  return {
    app,
    server,
    base,
    anonymous: new Client(base),
    admin: new Client(base, { key: await keyFor('admin') }),
    async user(username, groups, password) {
      await createUser(app, cli, { username, groups, password });
      return new Client(base, { key: await keyFor(username) });
    },
    login,
    async close() {
      await background?.stop();
      await server.close();
      await store.close();
      await db.dispose();
    },
  };
}
