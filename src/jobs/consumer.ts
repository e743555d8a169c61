import type { App } from '../app/context.js';
import { transact, Unit } from '../app/unit.js';
import type { Principal } from '../domain/principal.js';
import { changesAfter, type ChangeRecord } from '../store/change.js';
import { advanceCursor, leaseCursor, releaseCursor } from '../store/cursor.js';
import { readsOf } from '../store/index.js';
import { nodeName } from './worker.js';

/** Derived work fed from the change log: search indexing, flair, enrichment, hooks. */
export interface ChangeConsumer {
  /** Unique; names the stored cursor. */
  name: string;
  /** Changes per transaction at most (default 500); on a single writer, fewer while transactions run long. */
  batchSize?: number;
  /**
   * How long changes committed in this process gather before the consumer reads them (default 0: at
   * once). At high rates it then reads few large batches, one commit each, instead of many small ones.
   */
  settleMs?: number;
  /**
   * Reads and computes before the transaction opens, so that the transaction only writes: a single
   * writer (SQLite) is then held for the writes alone. Its result is handed to `handle`.
   */
  prepare?(app: App, changes: readonly ChangeRecord[]): Promise<unknown>;
  /** Stores what the batch derives through `unit.db`; the cursor moves past the batch in the same transaction. */
  handle(unit: Unit, changes: readonly ChangeRecord[], prepared?: unknown): Promise<void>;
}

/** How a cursor reader names itself, how long its lease lasts, and how long it waits at a hole in the seqs. */
export interface CursorOptions {
  owner?: string;
  /** How long the cursor stays this node's without a step (default 30 s). */
  leaseSeconds?: number;
  /** How long a hole in the seqs may be an uncommitted change before it counts as rolled back (default 10 s). */
  gapSeconds?: number;
}

/**
 * How long a consumer's transaction should hold a single writer (SQLite): long enough to share its
 * commit among many changes, short enough that ingest waiting for the writer meanwhile hardly notices.
 */
export const TRANSACTION_TARGET_MS = 20;

/** The fewest changes a batch shrinks to. */
const MIN_BATCH = 10;

/** The batch did not commit: the cursor moved on, or to another node, while it ran. */
class LostCursor extends Error {}

/**
 * Feeds one consumer from its stored cursor, in batches, on one node at a time. The batch's derived
 * data and the cursor's new position commit together, so after a crash the consumer resumes
 * exactly where it stopped: nothing missing, nothing twice.
 */
export class CursorReader {
  readonly owner: string;
  private readonly leaseSeconds: number;
  private readonly gapSeconds: number;
  /** When each hole in the seqs was first seen: the seq it starts at, and the time. */
  private readonly gaps = new Map<number, number>();
  private readonly principal: Principal;
  /** Changes per batch now: on a single writer, sized so a transaction lasts about TRANSACTION_TARGET_MS. */
  private batchSize: number;
  /** Whether more changes are waiting: the last batch was full, or none was read yet. */
  behind = true;

  constructor(
    readonly app: App,
    readonly consumer: ChangeConsumer,
    options: CursorOptions = {},
  ) {
    this.owner = options.owner ?? nodeName('consumer');
    this.leaseSeconds = options.leaseSeconds ?? 30;
    this.gapSeconds = options.gapSeconds ?? 10;
    this.principal = { userId: 0, username: `scot:${consumer.name}`, groups: [], admin: true };
    this.batchSize = consumer.batchSize ?? 500;
  }

  /**
   * Takes or renews the cursor's lease and hands the consumer the next batch; how many changes it
   * processed, or undefined when another node holds the cursor.
   */
  step(): Promise<number | undefined> {
    // Its batch and cursor commit together, and are derived again if a power cut loses them: no need to wait for the disk.
    return this.app.store.rules.relaxed(() => this.stepOnce());
  }

  private async stepOnce(): Promise<number | undefined> {
    const { db } = this.app.store;
    const now = this.app.now();
    const seq = await leaseCursor(db, this.consumer.name, this.owner, now, now + this.leaseSeconds);
    // Another node reads this cursor: its backlog is not this node's to wait for.
    this.behind = seq !== undefined;
    if (seq === undefined) return undefined;
    const batch = this.committedRun(seq, await changesAfter(readsOf(this.app.store), seq, this.batchSize), now);
    this.behind = batch.length >= this.batchSize;
    if (batch.length === 0) return 0;
    const last = batch.at(-1)!.seq;
    const prepared = await this.consumer.prepare?.(this.app, batch);
    let began = 0;
    try {
      await transact(this.app, async (tx, at) => {
        began = performance.now();
        const unit = new Unit(tx, this.app.store.rules, this.principal, at, this.app);
        await this.consumer.handle(unit, batch, prepared);
        if (!(await advanceCursor(tx, this.consumer.name, this.owner, seq, last, at))) throw new LostCursor();
        return { result: undefined, units: [unit] };
      });
    } catch (err) {
      if (err instanceof LostCursor) return undefined;
      throw err;
    }
    if (this.app.store.rules.singleWriter) this.resize(batch.length, performance.now() - began);
    for (const start of this.gaps.keys()) if (start <= last) this.gaps.delete(start);
    return batch.length;
  }

  /**
   * Moves the batch size halfway (geometrically) towards the one that would have taken
   * TRANSACTION_TARGET_MS, within MIN_BATCH and the consumer's own size. A short batch that was
   * short of changes says nothing about its size.
   */
  private resize(changes: number, ms: number): void {
    if (changes < this.batchSize && ms < TRANSACTION_TARGET_MS) return;
    const most = this.consumer.batchSize ?? 500;
    const ideal = (changes * TRANSACTION_TARGET_MS) / Math.max(ms, 1);
    this.batchSize = Math.round(Math.min(most, Math.max(MIN_BATCH, Math.sqrt(this.batchSize * ideal))));
  }

  /** Gives the cursor up, so another node takes it at its next step. */
  async release(): Promise<void> {
    await releaseCursor(this.app.store.db, this.consumer.name, this.owner);
  }

  /**
   * The changes after `seq` up to the first hole that may still fill. With several writers a seq is
   * taken before its transaction commits, so a change may appear after a higher one; passing the
   * hole would skip it forever. A hole that stays open `gapSeconds` was a rollback and is passed.
   */
  private committedRun(seq: number, changes: ChangeRecord[], now: number): ChangeRecord[] {
    if (this.app.store.rules.singleWriter) return changes;
    let expected = seq + 1;
    let end = changes.length;
    for (const [i, change] of changes.entries()) {
      if (change.seq !== expected) {
        if (!this.gaps.has(expected)) this.gaps.set(expected, now);
        if (now - this.gaps.get(expected)! < this.gapSeconds && end === changes.length) end = i;
      }
      expected = change.seq + 1;
    }
    return changes.slice(0, end);
  }
}
