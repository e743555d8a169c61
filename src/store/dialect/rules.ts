import type { Expression, RawBuilder } from 'kysely';

export type StoreKind = 'sqlite' | 'postgres';

/** The few SQL fragments that differ between SQLite and PostgreSQL. Everything else is shared. */
export interface DialectRules {
  kind: StoreKind;
  /** True when the JSON array of strings in `column` holds any of `values`. */
  jsonArrayHasAny(column: Expression<string>, values: readonly string[]): RawBuilder<boolean>;
  /** Case-insensitive substring match. */
  containsText(column: Expression<string>, needle: string): RawBuilder<boolean>;
  /**
   * A statement holding a lock on `key` until the transaction ends, so that writers in every
   * process check-then-insert one at a time; none where a single writer already serializes them.
   */
  transactionLock(key: string): RawBuilder<unknown> | undefined;
}
