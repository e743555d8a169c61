import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../../src/app/worker-thread.js';
import { ThreadLock } from '../../src/store/dialect/thread-lock.js';
import { addUnderLock } from '../helpers/lock-count.js';

/** A thread of test/helpers/lock-thread.ts on `lock`, in its slot 1. */
function lockThread(
  lock: ThreadLock,
  mode: 'count' | 'die' | 'hold',
  options: { counter?: SharedArrayBuffer; rounds?: number; holdMs?: number } = {},
): Worker {
  return startThread(new URL('../helpers/lock-thread.js', import.meta.url), {
    workerData: {
      buffer: lock.buffer,
      counter: options.counter ?? new SharedArrayBuffer(4),
      mode,
      rounds: options.rounds ?? 0,
      holdMs: options.holdMs ?? 0,
    },
  });
}

/** Resolves with the first message `thread` posts that is `message`. */
async function heard(thread: Worker, message: string): Promise<void> {
  for (;;) if ((await once(thread, 'message'))[0] === message) return;
}

describe('ThreadLock: the writer lock threads share', { timeout: 60_000 }, () => {
  it('lets one thread at a time in: two threads adding under it lose no update', async () => {
    const lock = new ThreadLock();
    const counter = new SharedArrayBuffer(4);
    const rounds = 300;
    const thread = lockThread(lock, 'count', { counter, rounds });
    const done = heard(thread, 'done');
    await addUnderLock(lock, 0, new Int32Array(counter), rounds);
    await done;
    assert.equal(new Int32Array(counter)[0], 2 * rounds);
    await thread.terminate();
  });

  it('waits without blocking the event loop while the other thread holds it', async () => {
    const lock = new ThreadLock();
    const thread = lockThread(lock, 'hold', { holdMs: 300 });
    await heard(thread, 'holding');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = performance.now();
    await lock.acquire(0);
    clearInterval(ticker);
    assert.ok(performance.now() - started >= 100, 'it waited for the other thread');
    assert.ok(ticks >= 5, `timers ran while it waited (${ticks} ticks)`);
    lock.release(0);
    await thread.terminate();
  });

  it('is handed on when a thread ends holding it or waiting for it', async () => {
    const lock = new ThreadLock();
    const dying = lockThread(lock, 'die');
    await heard(dying, 'done');
    await dying.terminate();
    const acquiring = lock.acquire(0);
    const blocked = await Promise.race([acquiring.then(() => 'acquired'), sleep(200).then(() => 'blocked')]);
    assert.equal(blocked, 'blocked', 'the ended thread still holds it');
    lock.abandon(1);
    await acquiring;
    lock.release(0);

    // Now the thread ends while waiting: main holds the lock, the thread queues behind it and dies.
    await lock.acquire(0);
    const waiting = lockThread(lock, 'die');
    await sleep(200);
    await waiting.terminate();
    lock.abandon(1);
    lock.release(0);
    const next = await Promise.race([lock.acquire(0).then(() => 'acquired'), sleep(1000).then(() => 'blocked')]);
    assert.equal(next, 'acquired', "the ended thread's place in the queue is passed over");
    lock.release(0);
  });
});
