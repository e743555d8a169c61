import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import { createApp, type App } from '../../src/app/context.js';
import { reader } from '../../src/app/unit.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { WorkflowType } from '../../src/domain/catalog.js';
import { AppError } from '../../src/domain/error.js';
import type { Principal } from '../../src/domain/principal.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { Backend } from './backend.js';

/** The clock every store test starts at (epoch seconds), so times in assertions are exact. */
export const T0 = 1_700_000_000;

/** An open store over a fresh database, an App on it, and a clock the test moves by hand. */
export interface StoreFixture {
  store: Store;
  app: App;
  url: string;
  dataDir: string;
  /** What `app.now()` answers; tests set or advance it. */
  clock: { now: number };
  close(): Promise<void>;
}

/** Settings for a test database, read from an empty config file of its own so a scot.config.json in the working folder cannot leak in. */
export function testConfig(dataDir: string, url: string, env: Record<string, string> = {}): Config {
  const configFile = path.join(dataDir, 'scot.config.json');
  if (!fs.existsSync(configFile)) fs.writeFileSync(configFile, '{}');
  return loadConfig({ SCOT_CONFIG: configFile, SCOT_DATA_DIR: dataDir, SCOT_DATABASE_URL: url, ...env });
}

/** Opens (and migrates) a fresh database of `backend`. `env` adds settings such as SCOT_SESSION_HOURS. */
export async function openFixture(backend: Backend, env: Record<string, string> = {}): Promise<StoreFixture> {
  const db = await backend.create();
  const config = testConfig(db.dataDir, db.url, env);
  const store = await openStore(db.url);
  const app = createApp(store, config);
  const clock = { now: T0 };
  app.now = () => clock.now;
  return {
    store,
    app,
    url: db.url,
    dataDir: db.dataDir,
    clock,
    async close() {
      await store.close();
      await db.dispose();
    },
  };
}

/**
 * Registers before/after hooks in the current describe that open a fixture for it and close it,
 * and returns a getter for the open fixture.
 */
export function useFixture(backend: Backend, env: Record<string, string> = {}): () => StoreFixture {
  let fixture: StoreFixture | undefined;
  before(async () => {
    fixture = await openFixture(backend, env);
  });
  after(async () => {
    await fixture?.close();
  });
  return () => {
    assert.ok(fixture, 'fixture not open');
    return fixture;
  };
}

/** A caller; use cases only look at the username, groups and admin flag (and userId for API keys). */
export const as = (username: string, groups: string[] = ['ir'], admin = false, userId = 0): Principal => ({
  userId,
  username,
  groups,
  admin,
});

export const ADMIN = as('admin', ['admin'], true);

/** Asserts that `work` fails with an AppError of `status` (and `field`, when given). */
export async function rejectsWith(work: Promise<unknown>, status: number, field?: string): Promise<AppError> {
  let caught: unknown;
  try {
    await work;
  } catch (err) {
    caught = err;
  }
  assert.ok(
    caught instanceof AppError,
    `expected an AppError ${status}, got ${caught === undefined ? 'success' : String(caught)}`,
  );
  assert.equal(caught.statusCode, status, caught.message);
  if (field !== undefined) assert.equal(caught.field, field, caught.message);
  return caught;
}

/** Change-log rows of one object, oldest first, with `diff` parsed. */
export async function changesOf(app: App, type: string, id: number) {
  const rows = await app.store.db
    .selectFrom('change')
    .selectAll()
    .where('type', '=', type)
    .where('target_id', '=', id)
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq), diff: JSON.parse(r.diff) as any }));
}

/** How many rows `table` holds in all. */
export async function countRows(
  app: App,
  table:
    | 'change'
    | 'alertgroup'
    | 'alert'
    | 'event'
    | 'incident'
    | 'entry'
    | 'tag'
    | 'source'
    | 'session'
    | 'apikey'
    | 'user'
    | 'group',
): Promise<number> {
  const row = await app.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The stored row of a workflow object, deleted or not, exactly as the table holds it. */
export async function storedRow(app: App, type: WorkflowType, id: number): Promise<Record<string, any>> {
  const row = await (app.store.db as any).selectFrom(type).selectAll().where('id', '=', id).executeTakeFirst();
  assert.ok(row, `${type} ${id} is not stored`);
  return row;
}

/** A reader unit for list queries. */
export const unitFor = (app: App, who: Principal) => reader(app, who);
