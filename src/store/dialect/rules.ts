import type { Expression, RawBuilder } from 'kysely';

export type StoreKind = 'sqlite' | 'postgres';

/** The few SQL fragments that differ between SQLite and PostgreSQL. Everything else is shared. */
export interface DialectRules {
  kind: StoreKind;
  /**
   * True when the database runs one write transaction at a time (SQLite): transactions are already
   * serialized, so there are no row locks to take, and concurrent work gains by sharing commits.
   */
  singleWriter: boolean;
  /** True when the JSON array of strings in `column` holds any of `values`. */
  jsonArrayHasAny(column: Expression<string>, values: readonly string[]): RawBuilder<boolean>;
  /** Case-insensitive substring match. */
  containsText(column: Expression<string>, needle: string): RawBuilder<boolean>;
}
