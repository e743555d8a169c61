import type { Expression, Kysely, RawBuilder, SelectQueryBuilder } from 'kysely';

export type StoreKind = 'sqlite' | 'postgres';

/** The few SQL fragments that differ between SQLite and PostgreSQL. Everything else is shared. */
export interface DialectRules {
  kind: StoreKind;
  /** True when the JSON array of strings in `column` holds any of `values`. */
  jsonArrayHasAny(column: Expression<string>, values: readonly string[]): RawBuilder<boolean>;
  /** Case-insensitive substring match. */
  containsText(column: Expression<string>, needle: string): RawBuilder<boolean>;
  /** True when one writer at a time commits, so change-log seqs become visible in order. */
  singleWriter: boolean;
  /** Rows `query` selects, locked for this transaction and skipping rows another transaction has locked. */
  skipLocked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** Tells every node listening on `channel` once `db`'s transaction commits; nothing where one process is all there is. */
  notify(db: Kysely<any>, channel: string, message: string): Promise<void>;
  /** Hears every node's notices on `channel` until the returned stop is called; undefined where nodes share no notices. */
  listen(url: string, channel: string, heard: (message: string) => void): Promise<(() => Promise<void>) | undefined>;
}
