import { EventEmitter } from 'node:events';
import { conflict, forbidden, notFound } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import { isUniqueViolation } from '../store/dialect/errors.js';
import type { Store } from '../store/index.js';
import { deleteDoneJobs, insertJob, insertJobs, jobById, jobCounts, recentJobs, requeueJob, type JobRow } from '../store/job.js';
import type { App } from './context.js';
import { inTransaction, Unit } from './unit.js';

/** Attempts a job gets unless its enqueuer says otherwise: about five minutes of backoff in all. */
const DEFAULT_MAX_ATTEMPTS = 6;

/** A background job as workers, handlers and the CLI see it. */
export interface JobRecord {
  id: number;
  kind: string;
  payload: unknown;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  key: string | null;
  last_error: string | null;
  progress: { done: number; total: number } | null;
  created: number;
  updated: number;
  finished: number | null;
}

/** What a handler gets besides its job: the app, a signal that says stop (timeout, lost lease, shutdown), and a progress report. */
export interface JobContext {
  app: App;
  signal: AbortSignal;
  progress(done: number, total: number): Promise<void>;
}

/** The code that runs one kind of job; a throw fails the attempt. */
export interface JobHandler {
  kind: string;
  /** Jobs of this kind one worker runs at once (default 1). */
  concurrency?: number;
  /** How long one attempt may take before it fails (default 10 minutes). */
  timeoutMs?: number;
  handle(job: JobRecord, context: JobContext): Promise<void>;
}

export interface EnqueueOptions {
  /** Epoch seconds; now when absent. */
  runAt?: number;
  maxAttempts?: number;
  /** While a job with this key is still to run, enqueueing another returns that one. */
  key?: string;
}

/** The database notice channel on which nodes hear of jobs enqueued by other nodes. */
export const JOB_CHANNEL = 'scot_job';

const wakeups = new WeakMap<Store, EventEmitter<{ job: [string] }>>();

/** Emits `job` with the kind when a job was enqueued in this process, so its workers need not wait for their next poll. */
export function jobWakeups(store: Store): EventEmitter<{ job: [string] }> {
  let emitter = wakeups.get(store);
  if (!emitter) wakeups.set(store, (emitter = new EventEmitter()));
  return emitter;
}

/**
 * Adds a job. Given a use case's unit, the job is stored in its transaction, atomically with the
 * change that needs it; given the app, at once. The id, and whether it is new or a keyed job still to run.
 */
export async function enqueue(
  where: App | Unit,
  kind: string,
  payload: unknown,
  options: EnqueueOptions = {},
): Promise<{ id: number; created: boolean }> {
  const inUnit = where instanceof Unit;
  const app = inUnit ? where.app : where;
  const now = inUnit ? where.now : app.now();
  const result = await insertJob(inUnit ? where.db : app.store.db, {
    kind,
    payload: JSON.stringify(payload ?? null),
    runAt: options.runAt ?? now,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    key: options.key ?? null,
    now,
  });
  const wake = () => jobWakeups(app.store).emit('job', kind);
  if (inUnit) where.afterCommit(wake);
  else wake();
  await app.store.rules.notify(inUnit ? where.db : app.store.db, JOB_CHANNEL, kind);
  return result;
}

/** Adds one keyless job of `kind` per payload in the unit's transaction, in a few statements. */
export async function enqueueMany(
  unit: Unit,
  kind: string,
  payloads: readonly unknown[],
  options: Omit<EnqueueOptions, 'key'> = {},
): Promise<void> {
  if (payloads.length === 0) return;
  const runAt = options.runAt ?? unit.now;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  await insertJobs(
    unit.db,
    payloads.map((p) => ({ kind, payload: JSON.stringify(p ?? null), runAt, maxAttempts, now: unit.now })),
  );
  unit.afterCommit(() => jobWakeups(unit.app.store).emit('job', kind));
}

/** A stored job as handlers and the CLI see it: payload parsed, progress as one object. */
export function presentJob(row: JobRow): JobRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    payload: JSON.parse(row.payload),
    status: row.status,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    run_at: Number(row.run_at),
    key: row.key,
    last_error: row.last_error,
    progress: row.progress_total === null ? null : { done: row.progress_done ?? 0, total: row.progress_total },
    created: Number(row.created),
    updated: Number(row.updated),
    finished: row.finished === null ? null : Number(row.finished),
  };
}

/** Job counts of one kind, by status. */
export interface QueueSummary {
  kind: string;
  pending: number;
  running: number;
  failed: number;
  dead: number;
  done: number;
}

/** Every kind's counts, and the latest failed and dead jobs: what an admin looks at when work piles up. For admins. */
export async function jobsOverview(
  app: App,
  who: Principal,
  recent = 20,
): Promise<{ queues: QueueSummary[]; problems: JobRecord[] }> {
  if (!who.admin) throw forbidden('only admins see background jobs');
  const queues = new Map<string, QueueSummary>();
  for (const { kind, status, n } of await jobCounts(app.store.db)) {
    const queue = queues.get(kind) ?? { kind, pending: 0, running: 0, failed: 0, dead: 0, done: 0 };
    if (status in queue) queue[status as keyof Omit<QueueSummary, 'kind'>] = n;
    queues.set(kind, queue);
  }
  const problems = (await recentJobs(app.store.db, ['failed', 'dead'], recent)).map(presentJob);
  return { queues: [...queues.values()], problems };
}

/** Makes a failed or dead job due now, with all its attempts again. For admins. */
export async function retryJob(app: App, who: Principal, id: number): Promise<JobRecord> {
  if (!who.admin) throw forbidden('only admins retry background jobs');
  return inTransaction(app, who, async (unit) => {
    const row = await jobById(unit.db, id);
    if (!row) throw notFound('job', id);
    const retried = await requeueJob(unit.db, id, unit.now).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw conflict(`job ${id} has key ${row.key}, and another job with that key is still to run`);
      throw err;
    });
    if (!retried) throw conflict(`job ${id} is ${row.status}; only failed or dead jobs can be retried`);
    unit.record('job', id, 'retry', { status: [row.status, 'pending'] });
    unit.afterCommit(() => jobWakeups(app.store).emit('job', row.kind));
    await app.store.rules.notify(unit.db, JOB_CHANNEL, row.kind);
    return presentJob(retried);
  });
}

/** Done jobs are kept this long for `scot jobs` and inquiries, then deleted. */
const KEEP_DONE_SECONDS = 7 * 24 * 3600;

/** Deletes done jobs older than a week, so the job table holds what is to run and what went wrong. */
export const pruneJobs: JobHandler = {
  kind: 'job.prune',
  async handle(_job, { app }) {
    await deleteDoneJobs(app.store.db, app.now() - KEEP_DONE_SECONDS);
  },
};
