/**
 * The background thread of `scot serve` on SQLite: it opens the database beside the main thread and
 * runs the node's background work there (see `startBackgroundThread`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createApp } from '../app/context.js';
import { jobWakeups } from '../app/job.js';
import { ThreadLock } from '../store/dialect/thread-lock.js';
import { openStore } from '../store/index.js';
import { startBackground, workOf } from './background.js';
import { RateThrottle } from './throttle.js';
import { BACKGROUND_SLOT, relayChanges, type BackgroundThreadData, type ThreadMessage } from './background-thread.js';

const port = parentPort!;
const { config, lock } = workerData as BackgroundThreadData;
try {
  // The main thread migrated the database and checkpoints its WAL.
  const writer = new ThreadLock(2, lock);
  const store = await openStore(config.databaseUrl, {
    migrate: false,
    sqliteSync: config.sqliteSync,
    sqliteCacheMiB: config.sqliteCacheMiB,
    checkpoints: false,
    // No request waits on this thread's event loop: its transactions need not give it turns, and it
    // reads on it rather than on reading threads of its own.
    sliceMs: Number.POSITIVE_INFINITY,
    sqliteReadThreads: 0,
    shared: { lock: writer, slot: BACKGROUND_SLOT },
  });
  const app = createApp(store, config);
  const relay = relayChanges(app, port);
  // This thread's event loop is its own: what background work yields to here is the work the main
  // thread gets done for requests, told by the changes it commits.
  let committed = 0;
  const throttle = new RateThrottle({ now: () => performance.now(), done: () => committed });
  const background = await startBackground(app, workOf(config), { throttle });
  port.on('message', async (message: ThreadMessage) => {
    if ('changes' in message) {
      committed += message.changes.length;
      relay.receive(message.changes);
    } else if ('job' in message) jobWakeups(store).emit('job', message.job);
    else if ('stop' in message) {
      relay.stop();
      await background.stop();
      await store.close();
      process.exit(0);
    }
  });
  port.postMessage({ ready: true } satisfies ThreadMessage);
} catch (err) {
  port.postMessage({ failed: (err as Error).message } satisfies ThreadMessage);
  process.exit(1);
}
