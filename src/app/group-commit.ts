import type { Principal } from '../domain/principal.js';
import type { App } from './context.js';
import { inTransaction, transact, Unit } from './unit.js';

interface Pending<I, O> {
  who: Principal;
  input: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

/** The work group commit shares out: on one input, and on many at once. */
export interface SharedWork<I, O> {
  /** The work on one input, in a transaction of its own. */
  one(unit: Unit, input: I): Promise<O>;
  /**
   * The work on all `inputs` in one transaction, each with its own unit, answering as `one` would
   * on each in turn, in few statements. It must take its locks in one fixed order (message_ids,
   * then labels by name), so that shared transactions on several nodes never deadlock.
   */
  many(units: Unit[], inputs: I[]): Promise<O[]>;
}

/** How long a request that finds the writer idle waits for others to share its transaction. */
export const LINGER_MS = 2;

/**
 * Group commit: work that arrives while transactions are running waits and then shares the next
 * transaction, all of it done together in a few statements. At ingest rates the commit (the WAL
 * sync) and, on PostgreSQL, the round trips cost more than the inserts; sharing them among the
 * waiting requests multiplies throughput, and a lone request waits at most a few milliseconds. When the
 * shared transaction fails (a bad input, a deadlock with another node), each input is retried in
 * a transaction of its own, so a failure harms none of the others. Every request is answered only
 * once its transaction has committed.
 */
export class GroupCommit<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private running = 0;

  constructor(
    private readonly app: App,
    private readonly work: SharedWork<I, O>,
    /** How much work one transaction takes at most, by the weight of each input. */
    private readonly maxWeight: number,
    private readonly weight: (input: I) => number,
  ) {}

  run(who: Principal, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ who, input, resolve, reject });
      this.schedule(this.queue.length === 1);
    });
  }

  /**
   * A single writer (SQLite) runs one shared transaction at a time; PostgreSQL runs two, so that
   * one is built while the other waits for its commit. A request arriving to an empty queue
   * (`lingering`) waits `LINGER_MS` for others to join it: at a steady rate posts arrive one by
   * one, and a transaction each would write its pages and pay its commit each time (at 1,000
   * posts/s, SQLite spent more time committing than inserting). Under load the queue is never
   * empty, and the next batch starts as soon as the event loop has read the requests received.
   */
  private schedule(lingering: boolean) {
    const most = this.app.store.rules.singleWriter ? 1 : 2;
    if (this.running >= most || this.queue.length === 0) return;
    this.running++;
    if (lingering) setTimeout(() => void this.drain(), LINGER_MS);
    else setImmediate(() => void this.drain());
  }

  /** Commits one batch, then lets more requests arrive before the next. */
  private async drain() {
    const batch = this.take();
    try {
      if (batch.length === 1) await this.alone(batch[0]);
      else await this.together(batch);
    } finally {
      this.running--;
      this.schedule(false);
    }
  }

  private async together(batch: Pending<I, O>[]) {
    let committed = false;
    try {
      const results = await transact(this.app, async (tx, now) => {
        const units = batch.map((item) => new Unit(tx, this.app.store.rules, item.who, now, this.app));
        units[0].afterCommit(() => {
          committed = true;
        });
        return {
          result: await this.work.many(
            units,
            batch.map((item) => item.input),
          ),
          units,
        };
      });
      for (const [i, item] of batch.entries()) item.resolve(results[i]);
    } catch (err) {
      // Once committed, a retry would store the batch twice: only an uncommitted batch is retried.
      if (committed) for (const item of batch) item.reject(err);
      else await Promise.all(batch.map((item) => this.alone(item)));
    }
  }

  private alone(item: Pending<I, O>) {
    return inTransaction(this.app, item.who, (unit) => this.work.one(unit, item.input)).then(item.resolve, item.reject);
  }

  private take(): Pending<I, O>[] {
    let weight = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || weight + this.weight(this.queue[count].input) <= this.maxWeight)) {
      weight += this.weight(this.queue[count].input);
      count++;
    }
    return this.queue.splice(0, count);
  }
}
