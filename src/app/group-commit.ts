import { sql } from 'kysely';
import type { Principal } from '../domain/principal.js';
import type { App } from './context.js';
import { retryOnStaleLabel } from '../store/label.js';
import { transact, Unit } from './unit.js';

type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

interface Pending<I, O> {
  who: Principal;
  input: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

/**
 * Group commit: work that arrives while a transaction is running waits and then shares the next
 * transaction, each piece in its own savepoint so one failure harms no other. At ingest rates the
 * commit (WAL write, and on PostgreSQL the fsync) costs more than the inserts; sharing it among
 * the waiting requests multiplies throughput, and a lone request still commits at once.
 */
export class GroupCommit<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private running = false;

  constructor(
    private readonly app: App,
    private readonly work: (unit: Unit, input: I) => Promise<O>,
    /** How much work one transaction takes at most, by the weight of each input. */
    private readonly maxWeight: number,
    private readonly weight: (input: I) => number,
  ) {}

  run(who: Principal, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ who, input, resolve, reject });
      this.schedule();
    });
  }

  /**
   * better-sqlite3 answers synchronously, so a transaction never lets the event loop read other
   * requests; waiting for the check phase lets every request already received join the batch.
   */
  private schedule() {
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.drain());
  }

  /** Commits one batch, then lets more requests arrive before the next. */
  private async drain() {
    const batch = this.take();
    try {
      const outcomes = await transact(this.app, async (tx, now) => {
        const units: Unit[] = [];
        const outcomes: Outcome<O>[] = [];
        for (const item of batch) {
          const unit = new Unit(tx, this.app.store.rules, item.who, now, this.app);
          const outcome = await this.inSavepoint(tx, unit, item.input);
          if (outcome.ok) units.push(unit);
          outcomes.push(outcome);
        }
        return { result: outcomes, units };
      });
      batch.forEach((item, i) => {
        const outcome = outcomes[i];
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
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

  private async inSavepoint(tx: Unit['db'], unit: Unit, input: I): Promise<Outcome<O>> {
    try {
      return { ok: true, value: await retryOnStaleLabel(this.app.store, () => this.savepoint(tx, unit, input)) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** The work on one input; when it fails, its queries, changes and effects are undone. */
  private async savepoint(tx: Unit['db'], unit: Unit, input: I): Promise<O> {
    await sql`savepoint group_commit`.execute(tx);
    try {
      const value = await this.work(unit, input);
      await sql`release savepoint group_commit`.execute(tx);
      return value;
    } catch (error) {
      await sql`rollback to savepoint group_commit`.execute(tx);
      await sql`release savepoint group_commit`.execute(tx);
      unit.changes.length = 0;
      unit.committed.length = 0;
      throw error;
    }
  }
}
