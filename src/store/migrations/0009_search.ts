import { sql, type Kysely } from 'kysely';
import type { StoreKind } from '../dialect/rules.js';

/**
 * Creates one search index under `name`: a row per indexed object (who may read it, the fields
 * searches narrow by, the text snippets come from) and its tokens. SQLite keeps the tokens in an
 * FTS5 table `<name>_fts` whose rowid is the document; PostgreSQL in a tsvector column with a GIN
 * index. `scot search reindex` builds a second index this way and swaps it in.
 */
export async function createSearchIndex(db: Kysely<any>, kind: StoreKind, name: string): Promise<void> {
  const doc = db.schema.createTable(name);
  await (kind === 'postgres'
    ? doc.addColumn('doc', 'bigserial', (c) => c.primaryKey())
    : doc.addColumn('doc', 'integer', (c) => c.primaryKey())
  )
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('object_id', 'integer', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'integer', (c) => c.notNull())
    // The object's read and modify groups together: either lets a user read it.
    .addColumn('readers', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .$call((t) => (kind === 'postgres' ? t.addColumn('vector', sql`tsvector`, (c) => c.notNull()) : t))
    .addUniqueConstraint(`${name}_object`, ['type', 'object_id'])
    .execute();
  if (kind === 'postgres') {
    await sql`create index ${sql.id(`${name}_vector`)} on ${sql.table(name)} using gin (vector)`.execute(db);
  } else {
    // Tokens arrive encoded to [a-z0-9] (src/domain/search/text.ts): the ascii tokenizer keeps each whole.
    await sql`create virtual table ${sql.table(`${name}_fts`)} using fts5(subject, words, terms, tokenize = 'ascii', prefix = '2 4')`.execute(
      db,
    );
  }
}

/** The full-text search index. */
export async function up(db: Kysely<unknown>, kind: StoreKind): Promise<void> {
  await createSearchIndex(db, kind, 'search_doc');
}
