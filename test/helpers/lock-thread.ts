/**
 * A thread for the ThreadLock tests: in slot 1 of the lock it is given, it either adds to a shared
 * counter `rounds` times under the lock (`count`), or takes the lock and ends without releasing it
 * (`die`), or holds it for `holdMs` (`hold`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { ThreadLock } from '../../src/store/dialect/thread-lock.js';
import { addUnderLock } from './lock-count.js';

const { buffer, counter, mode, rounds, holdMs } = workerData as {
  buffer: SharedArrayBuffer;
  counter: SharedArrayBuffer;
  mode: 'count' | 'die' | 'hold';
  rounds: number;
  holdMs: number;
};
const lock = new ThreadLock(2, buffer);
if (mode === 'count') await addUnderLock(lock, 1, new Int32Array(counter), rounds);
else {
  await lock.acquire(1);
  parentPort!.postMessage('holding');
  if (mode === 'hold') {
    await sleep(holdMs);
    lock.release(1);
  }
}
parentPort!.postMessage('done');
