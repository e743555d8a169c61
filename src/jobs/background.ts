import type { App } from '../app/context.js';
import type { Config } from '../config.js';
import { JOB_CHANNEL, jobWakeups, pruneJobs, type JobHandler } from '../app/job.js';
import { reflairJob } from '../app/entity.js';
import { enqueueEnrichment, enrichJob } from '../app/enrich.js';
import { onNewEntity, prepareFlairChanges, storeFlairChanges } from '../app/flair.js';
import { searchIndexer } from '../app/search.js';
import { CursorReader, type ChangeConsumer } from './consumer.js';
import { Loop } from './loop.js';
import { Scheduler, type Schedule } from './schedule.js';
import { Throttle, type Throttling } from './throttle.js';
import { Worker } from './worker.js';

/** The background work a node runs: job handlers by kind, cron schedules, change-log consumers. */
export interface BackgroundWork {
  handlers: readonly JobHandler[];
  schedules: readonly Schedule[];
  consumers: readonly ChangeConsumer[];
}

/** What every worker node runs. Flair, search indexing and enrichment add their handlers and consumers here. */
export const BUILT_IN: BackgroundWork = {
  handlers: [pruneJobs, reflairJob, enrichJob],
  schedules: [{ name: 'job.prune', cron: '30 4 * * *', kind: 'job.prune' }],
  // Flair follows ingest from the change log, so ingest stays fast and a crash resumes where it stopped.
  // Its changes gather for 100 ms: far inside the 2 s flair lag, and many alertgroups share one commit.
  // A batch of 200 changes (some 2,000 alerts) costs about what 500 cost per alert, and holds the
  // event loop less than half as long when flair catches up.
  consumers: [
    { name: 'flair', batchSize: 200, settleMs: 100, prepare: prepareFlairChanges, handle: storeFlairChanges },
    searchIndexer,
  ],
};

// An entity flair sees for the first time is enriched in the background, its job enqueued in flair's transaction.
onNewEntity(enqueueEnrichment);

/** The built-in work, with the change-log consumers the settings name. */
export const workOf = (config: Config): BackgroundWork => ({
  ...BUILT_IN,
  consumers: BUILT_IN.consumers.filter((c) => (config.consumers as string[]).includes(c.name)),
});

/** Background work running on a node; `stop` lets what is in flight finish. */
export interface Background {
  stop(): Promise<void>;
}

/** How often the scheduler looks for due schedules: cron times are whole minutes. */
const SCHEDULER_POLL_MS = 15_000;

/**
 * Starts this node's worker, scheduler and change-log consumers; any number of nodes may run them
 * against one PostgreSQL database. `stop` lets running jobs finish (or hands them back) and frees
 * the consumers' cursors for another node.
 */
export async function startBackground(
  app: App,
  work: BackgroundWork,
  options: { pollMs?: number; throttle?: Throttling } = {},
): Promise<Background> {
  const pollMs = options.pollMs ?? 1000;
  const worker = new Worker(app, work.handlers, { pollMs });
  const scheduler = new Scheduler(app, work.schedules);
  const schedulerLoop = new Loop('scheduler', SCHEDULER_POLL_MS, async () => {
    await scheduler.tick();
    return false;
  });
  const readers = work.consumers.map((consumer) => new CursorReader(app, consumer));
  // Consumers yield to requests while the event loop is saturated, and catch up after.
  const throttle = options.throttle ?? new Throttle();
  // Consumers come in order of precedence: while one is behind (its last batch was full), those after
  // it wait. At a rate the one writer cannot serve them all, flair keeps up and search indexing
  // catches up once the load drops.
  const readerLoops: Loop[] = readers.map(
    (reader, i) =>
      new Loop(`consumer ${reader.consumer.name}`, pollMs, async () => {
        if (readers.slice(0, i).some((before) => before.behind)) return false;
        await throttle.ready();
        const started = throttle.start();
        let stepped = 0;
        try {
          stepped = (await reader.step()) ?? 0;
        } finally {
          throttle.spent(started, stepped > 0);
        }
        // Caught up: those after it may go on.
        if (!reader.behind) for (const after of readerLoops.slice(i + 1)) after.poke();
        return stepped > 0;
      }),
  );
  // A commit in this process wakes the consumers (after their settle time); other nodes' commits wait for the next poll.
  const settling = new Map<Loop, NodeJS.Timeout>();
  const onChange = () =>
    readerLoops.forEach((loop, i) => {
      const settleMs = readers[i].consumer.settleMs ?? 0;
      if (settleMs === 0) loop.poke();
      else if (!settling.has(loop)) settling.set(loop, setTimeout(() => settling.delete(loop) && loop.poke(), settleMs).unref());
    });
  // Only then: a feed without listeners skips emitting every change of a large ingest.
  if (readerLoops.length > 0) app.feed.on('change', onChange);
  // Jobs enqueued on other nodes wake this one at once; where nodes share no notices, polling finds them.
  const stopListening = await app.store.listen?.(JOB_CHANNEL, { heard: (kind) => jobWakeups(app.store).emit('job', kind) });
  worker.start();
  schedulerLoop.start();
  for (const loop of readerLoops) loop.start();
  return {
    async stop() {
      app.feed.off('change', onChange);
      await stopListening?.();
      for (const timer of settling.values()) clearTimeout(timer);
      throttle.release();
      await Promise.all([worker.stop(), schedulerLoop.stop(), ...readerLoops.map((loop) => loop.stop())]);
      await Promise.all(readers.map((reader) => reader.release()));
    },
  };
}
