import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { createApp } from '../../src/app/context.js';
import { getObject } from '../../src/app/object.js';
import { MAIN_SLOT, startBackgroundThread } from '../../src/jobs/background-thread.js';
import { ThreadLock } from '../../src/store/dialect/thread-lock.js';
import { openStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/backend.js';
import { ADMIN, as, testConfig } from '../helpers/store.js';

describe('the background thread of an SQLite file', { timeout: 60_000 }, () => {
  it('when it dies, its work goes on on the main thread: an alertgroup posted after is flaired', async () => {
    const dataDir = tempDir();
    const url = path.join(dataDir, 'scot.db');
    const lock = new ThreadLock();
    const store = await openStore(url, { shared: { lock, slot: MAIN_SLOT } });
    const app = createApp(store, testConfig(dataDir, url));
    const background = await startBackgroundThread(app, lock);
    const said: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => said.push(args.join(' '));
    try {
      await background.thread.terminate();
      // The thread's exit is heard on a later turn of the event loop.
      for (let i = 0; i < 100 && !said.some((s) => s.includes('background thread')); i++) await sleep(20);
      assert.ok(
        said.some((s) => /background thread: .*runs on the main thread/.test(s)),
        `the loss was told: ${JSON.stringify(said)}`,
      );
      const posted = await ingestAlertgroup(app, as('alice'), { subject: 'after the thread died', data: [{ ip: '10.1.2[.]3' }] });
      const alertId = posted.alerts[0];
      let alert = await getObject(app, ADMIN, 'alert', alertId);
      for (let i = 0; i < 200 && alert.flair !== 'done'; i++) {
        await sleep(50);
        alert = await getObject(app, ADMIN, 'alert', alertId);
      }
      assert.equal(alert.flair, 'done', 'flair ran on the main thread');
      assert.match(String(alert.data_with_flair?.ip), /data-entity-value="10\.1\.2\.3"/);
    } finally {
      console.error = error;
      await background.stop();
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
