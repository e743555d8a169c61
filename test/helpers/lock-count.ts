import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { ThreadLock } from '../../src/store/dialect/thread-lock.js';

/**
 * Adds one to `counter[0]` `rounds` times, each time reading it, letting the event loop turn, then
 * writing it back, under `lock` in `slot`: without the lock, two threads doing this lose updates.
 */
export async function addUnderLock(lock: ThreadLock, slot: number, counter: Int32Array, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await lock.acquire(slot);
    const seen = counter[0];
    await yieldToEvents();
    counter[0] = seen + 1;
    lock.release(slot);
  }
}
