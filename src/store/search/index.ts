import type { Executor } from '../index.js';
import type { StoreKind } from '../dialect/rules.js';
import { postgresSearch } from './postgres.js';
import { sqliteSearch } from './sqlite.js';
import type { SearchEngine } from './engine.js';

/** The search index every node reads and the background consumer keeps up to date. */
export const SEARCH_INDEX = 'search_doc';
/** Where `scot search reindex` builds the next index before swapping it in. */
export const NEXT_SEARCH_INDEX = 'search_doc_next';

const ENGINES: Record<StoreKind, SearchEngine> = { sqlite: sqliteSearch, postgres: postgresSearch };

/** The search engine of a store's dialect. */
export const searchEngineFor = (kind: StoreKind): SearchEngine => ENGINES[kind];

/** How many documents index `name` holds. */
export async function countDocuments(db: Executor, name: string): Promise<number> {
  const row = await (db as any)
    .selectFrom(name)
    .select((eb: any) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
