import { sql } from 'kysely';
import type { TextMatch } from '../../domain/search/query.js';
import { tagToken } from '../../domain/search/text.js';
import { paddedList } from '../dialect/in-lists.js';
import { createSearchIndex } from '../migrations/0009_search.js';
import type { Executor } from '../index.js';
import { rowParameters, runShaped, shapedRuns } from '../shaped.js';
import {
  docRow,
  DOCUMENT_RUN,
  idsByType,
  inRuns,
  INSERT_BATCH,
  narrowing,
  runPlan,
  type SearchDocument,
  type SearchEngine,
} from './engine.js';

const fts = (name: string) => `${name}_fts`;

/** A match in FTS5's query syntax; tokens are [a-z0-9] (never an operator once quoted). */
function ftsMatch(m: TextMatch): string {
  const column = m.subject ? 'subject : ' : '';
  if (m.anyOf) return `(${m.anyOf.map((t) => `${column}"${t}"`).join(' OR ')})`;
  if (m.tokens.length > 1) return `${column}"${m.tokens.join(' ')}"`;
  return `${column}"${m.tokens[0]}"${m.prefix ? '*' : ''}`;
}

const anyOf = (matches: readonly TextMatch[]) => matches.map(ftsMatch).join(' OR ');

/** `(a, b), (c, d)`: the rows of a multi-row VALUES, each value bound. */
const valueRows = (rows: readonly unknown[][]) => sql.join(rows.map((row) => sql`(${sql.join(row)})`));

/**
 * Entities' values into the trigram table that finds part of an indicator (migration 0013). An entity's
 * value never changes, and `insert or replace` makes writing it again (a reindex, a status change) harmless.
 */
async function indexValues(db: Executor, docs: readonly SearchDocument[]): Promise<void> {
  const values = docs.filter((d) => d.type === 'entity').map((d) => [d.id, d.subject]);
  for (const run of shapedRuns(values, DOCUMENT_RUN)) {
    await runShaped(
      db,
      `insert entity_trigram x${run.length}`,
      () => ({
        compile: () => sql`insert or replace into entity_trigram (rowid, value) values ${valueRows(run)}`.compile(db),
      }),
      run.flat(),
    );
  }
}

/** Search on SQLite: an FTS5 table of encoded tokens beside the document rows, ranked by bm25. */
export const sqliteSearch: SearchEngine = {
  async create(db, name) {
    await sql`drop table if exists ${sql.table(fts(name))}`.execute(db);
    await sql`drop table if exists ${sql.table(name)}`.execute(db);
    await createSearchIndex(db, 'sqlite', name);
  },

  async replace(db, name, keys, docs) {
    for (const [type, ids] of idsByType(keys)) {
      for (const run of inRuns(ids, INSERT_BATCH)) {
        await sql`delete from ${sql.table(fts(name))} where rowid in (select doc from ${sql.table(name)} where type = ${type} and object_id in (${sql.join(paddedList(run))}))`.execute(
          db,
        );
        await (db as Executor)
          .deleteFrom(name as 'search_doc')
          .where('type', '=', type)
          .where('object_id', 'in', run)
          .execute();
      }
    }
    for (const run of shapedRuns(docs, DOCUMENT_RUN)) {
      const rows = run.map(docRow);
      const inserted = await runShaped<{ doc: number }>(
        db,
        `insert ${name} x${run.length}`,
        () =>
          db
            .insertInto(name as 'search_doc')
            .values(rows)
            .returning('doc'),
        rowParameters(rows).parameters,
      );
      const tokens = run.map((d, i) => {
        const { subject, text } = d.tokens;
        const terms = [...text.terms, ...d.tags.map(tagToken)];
        return [inserted[i].doc, [...subject.words, ...subject.terms].join(' '), text.words.join(' '), terms.join(' ')];
      });
      await runShaped(
        db,
        `insert ${fts(name)} x${run.length}`,
        () => ({
          compile: () =>
            sql`insert into ${sql.table(fts(name))} (rowid, subject, words, terms) values ${valueRows(tokens)}`.compile(db),
        }),
        tokens.flat(),
      );
    }
    await indexValues(db, docs);
  },

  async search(db, rules, name, request) {
    const { match, exclude, tags } = request.query;
    const where = narrowing(rules, request);
    const table = sql.table(fts(name));
    if (match.length === 0 && tags.length === 0) {
      if (exclude.length) where.push(sql`d.doc not in (select rowid from ${table} where ${table} match ${anyOf(exclude)})`);
      return runPlan(db, name, { from: sql`${sql.table(name)} d`, where, newest: sql`d.doc desc` }, request);
    }
    const positive = [
      ...match.map(ftsMatch),
      ...(tags.length ? [`(${tags.map((t) => `"${tagToken(t)}"`).join(' OR ')})`] : []),
    ].join(' AND ');
    const expression = exclude.length ? `(${positive}) NOT (${anyOf(exclude)})` : positive;
    return runPlan(
      db,
      name,
      {
        from: sql`${table} join ${sql.table(name)} d on d.doc = ${table}.rowid`,
        where: [sql`${table} match ${expression}`, ...where],
        // FTS5 reads its matches in rowid order, so the newest come without a sort.
        newest: sql`${table}.rowid desc`,
      },
      request,
    );
  },

  // The trigram table reads candidates without scanning every entity; `_` and `%` in the pattern
  // make it wider, and the caller keeps only exact fits.
  async indicatorsLike(db, pattern, limit) {
    const { rows } = await sql<{ value: string }>`select value from entity_trigram
      where value like ${pattern.replaceAll('*', '%')} order by rowid desc limit ${limit}`.execute(db);
    return rows.map((r) => r.value);
  },

  async swap(db, from, to) {
    await sql`drop table ${sql.table(fts(to))}`.execute(db);
    await sql`drop table ${sql.table(to)}`.execute(db);
    await sql`alter table ${sql.table(fts(from))} rename to ${sql.table(fts(to))}`.execute(db);
    await sql`alter table ${sql.table(from)} rename to ${sql.table(to)}`.execute(db);
  },
};
