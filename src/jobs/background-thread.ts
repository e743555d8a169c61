import { once } from 'node:events';
import type { MessagePort, Worker } from 'node:worker_threads';
import type { App } from '../app/context.js';
import { jobWakeups } from '../app/job.js';
import { startThread } from '../app/worker-thread.js';
import type { Config } from '../config.js';
import type { ChangeRecord } from '../store/change.js';
import type { ThreadLock } from '../store/dialect/thread-lock.js';
import { startBackground, workOf, type Background } from './background.js';

/** The slots of the SQLite writer lock: the main thread's, and the background thread's. */
export const MAIN_SLOT = 0;
export const BACKGROUND_SLOT = 1;

/** What the background thread is given: the settings, and the writer lock's shared memory. */
export interface BackgroundThreadData {
  config: Config;
  lock: SharedArrayBuffer;
}

/** What the main thread and the background thread tell each other. */
export type ThreadMessage = { changes: ChangeRecord[] } | { job: string } | { ready: true } | { stop: true } | { failed: string };

/**
 * Joins the change feeds of two threads: the changes committed on this side go to the other in
 * batches, one message per turn of the event loop, and those committed there are emitted here, so
 * the stream and the consumers of each side hear of every commit. Returns what to do with the
 * changes the other side sends, and how to stop.
 */
export function relayChanges(app: App, port: MessagePort | Worker) {
  let relaying = false;
  let outbox: ChangeRecord[] = [];
  const send = (change: ChangeRecord) => {
    if (relaying) return;
    if (outbox.length === 0) setImmediate(() => port.postMessage({ changes: outbox.splice(0) } satisfies ThreadMessage));
    outbox.push(change);
  };
  app.feed.on('change', send);
  return {
    receive(changes: ChangeRecord[]) {
      relaying = true;
      try {
        for (const change of changes) app.feed.emit('change', change);
      } finally {
        relaying = false;
      }
    },
    stop() {
      app.feed.off('change', send);
      outbox = [];
    },
  };
}

/**
 * MiB of young generation the background thread's V8 heap may grow to, instead of V8's default of
 * 48: its garbage is short-lived, and the young generation stays resident at its largest.
 */
const BACKGROUND_YOUNG_MIB = 16;

/**
 * Runs this node's background work (flair, search indexing, jobs, schedules) on a thread of its own
 * with its own connections to the SQLite file, so that it uses the machine's other core instead of
 * the event loop that answers requests. The two writers take `lock` in turn. Should the thread fail
 * to start or end unexpectedly, the work runs on this thread instead.
 */
export async function startBackgroundThread(app: App, lock: ThreadLock): Promise<Background & { readonly thread: Worker }> {
  const thread = startThread(new URL('./background-entry.js', import.meta.url), {
    workerData: { config: app.config, lock: lock.buffer } satisfies BackgroundThreadData,
    resourceLimits: { maxYoungGenerationSizeMb: BACKGROUND_YOUNG_MIB },
  });
  const relay = relayChanges(app, thread);
  const wake = (kind: string) => thread.postMessage({ job: kind } satisfies ThreadMessage);
  jobWakeups(app.store).on('job', wake);
  let stopping = false;
  let fallback: Promise<Background> | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    thread.on('message', (message: ThreadMessage) => {
      if ('changes' in message) relay.receive(message.changes);
      else if ('ready' in message) resolve();
      else if ('failed' in message) reject(new Error(message.failed));
    });
    thread.on('error', reject);
    thread.on('exit', (code) => reject(new Error(`it stopped with code ${code}`)));
  });
  const lost = (err: Error) => {
    if (stopping || fallback) return;
    console.error(`background thread: ${err.message}; background work runs on the main thread`);
    relay.stop();
    jobWakeups(app.store).off('job', wake);
    lock.abandon(BACKGROUND_SLOT);
    fallback = startBackground(app, workOf(app.config));
  };
  thread.on('error', lost);
  thread.on('exit', (code) => lost(new Error(`it stopped with code ${code}`)));
  await ready.catch(lost);
  return {
    // Whoever watches the thread sees it (the tests end it, to see its work fall back to this thread).
    thread,
    async stop() {
      if (fallback) return (await fallback).stop();
      stopping = true;
      relay.stop();
      jobWakeups(app.store).off('job', wake);
      const exited = once(thread, 'exit');
      thread.postMessage({ stop: true } satisfies ThreadMessage);
      await exited;
      lock.abandon(BACKGROUND_SLOT);
    },
  };
}
