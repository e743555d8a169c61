import crypto from 'node:crypto';
import os from 'node:os';
import type { App } from '../app/context.js';
import { jobWakeups, presentJob, type JobHandler } from '../app/job.js';
import { Loop } from './loop.js';
import { claimJobs, endJob, reapExpiredLeases, renewLeases, setJobProgress, type JobEnd, type JobRow } from '../store/job.js';

/** Names this process in leases, so `scot jobs` and the database tell which node holds what. */
export const nodeName = (role: string) => `${os.hostname()}:${process.pid}:${role}:${crypto.randomBytes(3).toString('hex')}`;

/** How a worker names itself, how often it polls, and how long its leases and shutdown grace last. */
export interface WorkerOptions {
  /** The lease owner's name; one per Worker. */
  owner?: string;
  /** How often to look for due jobs when nothing wakes the worker (default 1000 ms). */
  pollMs?: number;
  /** How long a claim holds without renewal; a killed worker's jobs run again this long after (default 60 s). */
  leaseSeconds?: number;
  /** How long `stop` waits for running jobs before handing them back (default 10 s). */
  graceMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** The first retry waits this long; each further one twice as long as the one before. */
const BACKOFF_BASE_SECONDS = 10;
const BACKOFF_MAX_SECONDS = 3600;

/** Seconds before attempt `attempts + 1`: exponential, capped, plus up to a quarter more so failed jobs do not retry in lockstep. */
function backoffSeconds(attempts: number): number {
  const delay = Math.min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS);
  return delay + Math.floor(Math.random() * (delay / 4));
}

interface Running {
  kind: string;
  abort: AbortController;
  ended: Promise<void>;
}

/** Runs due jobs of the kinds it has handlers for, each kind at most `concurrency` at once, under a renewed lease. */
export class Worker {
  readonly owner: string;
  private readonly handlers: Map<string, JobHandler>;
  private readonly running = new Map<number, Running>();
  private readonly leaseSeconds: number;
  private readonly graceMs: number;
  private renewal?: NodeJS.Timeout;
  private readonly loop: Loop;
  private stopping = false;

  constructor(
    readonly app: App,
    handlers: readonly JobHandler[],
    options: WorkerOptions = {},
  ) {
    this.handlers = new Map(handlers.map((h) => [h.kind, h]));
    this.owner = options.owner ?? nodeName('worker');
    this.leaseSeconds = options.leaseSeconds ?? 60;
    this.graceMs = options.graceMs ?? 10_000;
    this.loop = new Loop(`job worker ${this.owner}`, options.pollMs ?? 1000, async () => {
      await this.poll();
      return false;
    });
  }

  /**
   * Hands jobs whose lease expired back to the queue, then claims due jobs up to each kind's free
   * concurrency and starts them. How many it started.
   */
  async poll(): Promise<number> {
    const { db } = this.app.store;
    const now = this.app.now();
    await reapExpiredLeases(db, now);
    let started = 0;
    for (const [kind, handler] of this.handlers) {
      const free = (handler.concurrency ?? 1) - [...this.running.values()].filter((r) => r.kind === kind).length;
      if (free <= 0 || this.stopping) continue;
      const claimed = await claimJobs(db, this.app.store.rules, {
        kind,
        owner: this.owner,
        now,
        leaseUntil: now + this.leaseSeconds,
        limit: free,
      });
      for (const row of claimed) this.begin(row, handler);
      started += claimed.length;
    }
    return started;
  }

  /** Resolves once every job this worker started has ended. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.ended));
  }

  /** Runs jobs until none is due; how many it ran. */
  async drain(): Promise<number> {
    let ran = 0;
    for (let started = await this.poll(); started > 0; started = await this.poll()) {
      ran += started;
      await this.idle();
    }
    return ran;
  }

  /** Keeps polling in the background: every `pollMs`, when a job is enqueued in this process, and when a job ends. */
  start(): void {
    jobWakeups(this.app.store).on('job', this.loop.poke);
    this.loop.start();
  }

  /**
   * Stops claiming, lets running jobs finish within the grace time, then hands the rest back to the
   * queue (their attempt not counted) so another worker takes them at once.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    jobWakeups(this.app.store).off('job', this.loop.poke);
    await this.loop.stop();
    const grace = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), this.graceMs).unref());
    if ((await Promise.race([this.idle(), grace])) === 'late') {
      const now = this.app.now();
      for (const [id, job] of this.running) {
        await endJob(this.app.store.db, id, this.owner, { status: 'pending', runAt: now }, now);
        job.abort.abort(new Error('the worker is stopping'));
      }
      await this.idle();
    }
  }

  private begin(row: JobRow, handler: JobHandler): void {
    const abort = new AbortController();
    const id = Number(row.id);
    const ended = this.run(row, handler, abort).finally(() => {
      this.running.delete(id);
      if (this.running.size === 0) {
        clearInterval(this.renewal);
        this.renewal = undefined;
      }
      this.loop.poke();
    });
    this.running.set(id, { kind: row.kind, abort, ended });
    this.renewal ??= setInterval(() => void this.renew(), (this.leaseSeconds * 1000) / 3);
  }

  private async run(row: JobRow, handler: JobHandler, abort: AbortController): Promise<void> {
    const { db } = this.app.store;
    const id = Number(row.id);
    const timeoutMs = handler.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => abort.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    let end: JobEnd;
    try {
      const stopped = new Promise<never>((_, reject) =>
        abort.signal.addEventListener('abort', () => reject(abort.signal.reason)),
      );
      const progress = (done: number, total: number) => setJobProgress(db, id, this.owner, done, total, this.app.now());
      await Promise.race([handler.handle(presentJob(row), { app: this.app, signal: abort.signal, progress }), stopped]);
      end = { status: 'done' };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      end =
        row.attempts >= row.max_attempts
          ? { status: 'dead', error }
          : { status: 'failed', error, runAt: this.app.now() + backoffSeconds(row.attempts) };
    } finally {
      clearTimeout(timer);
    }
    // False when the lease was lost (reaped, or handed back on stop): the job is someone else's now.
    await endJob(db, id, this.owner, end, this.app.now()).catch((err: Error) =>
      console.error(`job ${id}: could not record its end: ${err.message}`),
    );
  }

  private async renew(): Promise<void> {
    const ids = [...this.running.keys()];
    try {
      const held = new Set(await renewLeases(this.app.store.db, this.owner, ids, this.app.now() + this.leaseSeconds));
      for (const id of ids)
        if (!held.has(id)) this.running.get(id)?.abort.abort(new Error('its lease expired and another worker may run it'));
    } catch (err) {
      console.error(`job worker ${this.owner}: could not renew leases: ${(err as Error).message}`);
    }
  }
}
