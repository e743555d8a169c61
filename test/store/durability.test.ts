import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, describe, it, mock } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { LINGER_MS } from '../../src/app/group-commit.js';
import { createApikey, revokeApikey } from '../../src/app/auth.js';
import { ensureAdmin } from '../../src/app/user.js';
import { createApp } from '../../src/app/context.js';
import { createCase } from '../../src/app/object.js';
import { BUILT_IN } from '../../src/jobs/background.js';
import { CursorReader } from '../../src/jobs/consumer.js';
import { sharedSync } from '../../src/store/dialect/sqlite.js';
import { flairOf } from '../../src/store/entity.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/backend.js';
import { ADMIN, testConfig } from '../helpers/store.js';

const dir = tempDir('scot-durability-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => mock.restoreAll());

/** Lets every callback due by the end of a group commit's linger run. */
const settle = async () => {
  await new Promise((resolve) => setTimeout(resolve, LINGER_MS + 1));
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A sync function whose runs the test ends by hand, in order. */
function manualSync() {
  const ends: (() => void)[] = [];
  return {
    runs: () => ends.length,
    sync: () => new Promise<void>((resolve) => ends.push(resolve)),
    end: (run: number) => ends[run](),
  };
}

/** Opens a SQLite store with `sqliteSync` and an app on it, and counts the syncs of its WAL file. */
async function sqliteApp(name: string, sqliteSync?: 'full' | 'normal') {
  const file = path.join(dir, `${name}.sqlite`);
  const store = await openStore(file, { sqliteSync });
  const app = createApp(store, testConfig(dir, file));
  await ensureAdmin(app);
  const open = mock.method(fsPromises, 'open');
  const walSyncs = () => open.mock.calls.filter((c) => c.arguments[0] === `${file}-wal`).length;
  return { store, app, walSyncs };
}

describe('SQLite durability', () => {
  it('syncs the WAL to disk before a commit or a lone write is acknowledged, by default', async () => {
    const { store, app, walSyncs } = await sqliteApp('default');
    try {
      await createCase(app, ADMIN, 'event', { subject: 'kept through a power cut' });
      assert.equal(walSyncs(), 1);
      await ingestAlertgroup(app, ADMIN, { subject: 's', data: [{ host: 'a' }] });
      assert.equal(walSyncs(), 2, 'group commits are synced too');
      // Written by a lone statement, outside any transaction: an API key must not outlive its revocation.
      const key = await createApikey(app, ADMIN, 'admin', 'kept');
      const before = walSyncs();
      await revokeApikey(app, ADMIN, key.id);
      assert.equal(walSyncs(), before + 1);
      await store.db.selectFrom('event').selectAll().execute();
      assert.equal(walSyncs(), before + 1, 'reads are not synced');
    } finally {
      await store.close();
    }
  });

  it('acknowledges a commit only once its sync has finished', async () => {
    const { store, app } = await sqliteApp('gated');
    const gate = manualSync();
    mock.method(fsPromises, 'open', async () => ({ datasync: gate.sync, close: async () => {} }));
    try {
      let acknowledged = false;
      const ingest = ingestAlertgroup(app, ADMIN, { subject: 's', data: [{ host: 'a' }] }).then(() => (acknowledged = true));
      await settle();
      assert.equal(gate.runs(), 1, 'the commit asked for a sync');
      assert.equal(acknowledged, false, 'acknowledged before its sync ended');
      gate.end(0);
      await ingest;
      assert.equal(acknowledged, true);
    } finally {
      mock.restoreAll();
      await store.close();
    }
  });

  it('does not sync for background work fed from the change log; the next acknowledged commit syncs it with its own', async () => {
    const { store, app, walSyncs } = await sqliteApp('relaxed');
    try {
      const group = await ingestAlertgroup(app, ADMIN, { subject: 's', data: [{ ip: '10.1.2[.]3' }] });
      const before = walSyncs();
      const flair = new CursorReader(app, BUILT_IN.consumers.find((c) => c.name === 'flair')!);
      assert.ok((await flair.step())! > 0, 'flair read the change log');
      assert.equal(walSyncs(), before, 'neither its lease nor its commit waited for a sync');
      assert.equal((await flairOf(store.db, 'alert', group.alerts)).size, 1);
      await createCase(app, ADMIN, 'event', { subject: 'acknowledged' });
      assert.equal(walSyncs(), before + 1, 'an acknowledged commit still syncs');
    } finally {
      await store.close();
    }
  });

  it('never syncs on its own when the operator accepts losing the last commits to a power cut', async () => {
    const { store, app, walSyncs } = await sqliteApp('normal', 'normal');
    try {
      await createCase(app, ADMIN, 'event', { subject: 'may be lost' });
      await createApikey(app, ADMIN, 'admin', 'may be lost');
      assert.equal(walSyncs(), 0);
    } finally {
      await store.close();
    }
  });
});

describe('sharedSync', () => {
  it('makes a caller that arrives during a sync wait for the next one, shared by all who arrive meanwhile', async () => {
    const gate = manualSync();
    const durable = sharedSync(gate.sync);
    const done: string[] = [];
    const first = durable().then(() => done.push('first'));
    const second = durable().then(() => done.push('second'));
    const third = durable().then(() => done.push('third'));
    await settle();
    assert.equal(gate.runs(), 1, 'the later callers wait for the running sync to end');
    gate.end(0);
    await first;
    await settle();
    assert.deepEqual(done, ['first'], 'a sync that began before their commit does not cover them');
    assert.equal(gate.runs(), 2, 'one more sync for both');
    gate.end(1);
    await Promise.all([second, third]);
    assert.deepEqual(done, ['first', 'second', 'third']);
    const later = durable();
    assert.equal(gate.runs(), 3, 'a caller with no sync running starts one at once');
    gate.end(2);
    await later;
  });
});
