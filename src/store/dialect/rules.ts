import type { Expression, RawBuilder, SelectQueryBuilder } from 'kysely';

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
   * The JSON object text in `column` with `key` set to the JSON text `value`, computed in the statement
   * that writes it, so concurrent writers of other keys lose nothing.
   */
  jsonWithKey(column: Expression<string>, key: string, value: string): RawBuilder<string>;
}
