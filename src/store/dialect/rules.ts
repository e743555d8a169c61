import type { Expression, Kysely, RawBuilder, SelectQueryBuilder } from 'kysely';

export type StoreKind = 'sqlite' | 'postgres';

/** The few SQL fragments that differ between SQLite and PostgreSQL. Everything else is shared. */
export interface DialectRules {
  kind: StoreKind;
  /**
   * True when the database runs one write transaction at a time (SQLite): transactions are already
   * serialized, so there are no row locks to take, concurrent work gains by sharing commits, and
   * change-log seqs become visible in order.
   */
  singleWriter: boolean;
  /**
   * True when the database counts the live rows of each workflow table in the transaction of every
   * write (`live_count`, 0015_live_count): a list of every live row is counted without reading it,
   * and a deep page of it by offset is read from its nearer end.
   */
  liveCounts: boolean;
  /** True when the JSON array of strings in `column` holds any of `values`. */
  jsonArrayHasAny(column: Expression<string>, values: readonly string[]): RawBuilder<boolean>;
  /** Case-insensitive substring match. */
  containsText(column: Expression<string>, needle: string): RawBuilder<boolean>;
  /** Rows `query` selects, locked for this transaction and skipping rows another transaction has locked. */
  skipLocked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /**
   * A statement holding a lock on `key` until the transaction ends, so that writers in every
   * process check-then-insert one at a time; none where a single writer already serializes them.
   */
  transactionLock(key: string): RawBuilder<unknown> | undefined;
  /**
   * One statement holding the locks of all `keys` until the transaction ends, taken in one fixed
   * order, so that two transactions locking overlapping sets wait for each other but never deadlock;
   * none where a single writer already serializes them.
   */
  transactionLocks(keys: readonly string[]): RawBuilder<unknown> | undefined;
  /** Tells every node listening on `channel` once `db`'s transaction commits; nothing where one process is all there is. */
  notify(db: Kysely<any>, channel: string, message: string): Promise<void>;
  /**
   * Statements that, run in the transaction logging `seqs`, tell every node of them once it commits;
   * none where one process holds the database and its in-process feed already tells it.
   */
  announceChanges(seqs: readonly number[]): RawBuilder<unknown>[];
  /**
   * The JSON object text in `column` with `key` set to the JSON text `value`, computed in the statement
   * that writes it, so concurrent writers of other keys lose nothing.
   */
  jsonWithKey(column: Expression<string>, key: string, value: string): RawBuilder<string>;
  /**
   * Runs `work`, whose commits need not wait for the disk: derived data that commits with its change-log
   * cursor, so a power cut that loses it also loses the cursor's step, and it is derived again. A later
   * durable commit (ingest's) syncs it anyway; meanwhile the single writer is not held for a sync of its own.
   */
  relaxed<T>(work: () => Promise<T>): Promise<T>;
}
