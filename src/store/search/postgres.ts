import { sql } from 'kysely';
import type { TextMatch } from '../../domain/search/query.js';
import { tagToken } from '../../domain/search/text.js';
import { escapeLike } from '../dialect/sqlite.js';
import { createSearchIndex } from '../migrations/0009_search.js';
import { rowParameters, runShaped, shapedRuns } from '../shaped.js';
import type { Executor } from '../index.js';
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
  type TextPlan,
} from './engine.js';

/** PostgreSQL keeps positions up to this; later words share it. */
const MAX_POSITION = 16_383;
/** Positions one lexeme keeps in a tsvector. */
const MAX_POSITIONS_PER_LEXEME = 256;

/**
 * The document's tokens as a tsvector literal, built here rather than by a text search parser so
 * both engines index the same tokens. Subject tokens weigh A, the text D; a gap between the parts
 * keeps a phrase from running across them.
 */
function vectorOf(doc: SearchDocument): string {
  const { subject, text } = doc.tokens;
  const positions = new Map<string, string[]>();
  let at = 0;
  const put = (tokens: string[], weight: string) => {
    for (const token of tokens) {
      at = Math.min(at + 1, MAX_POSITION);
      const list = positions.get(token) ?? [];
      if (list.length < MAX_POSITIONS_PER_LEXEME) list.push(`${at}${weight}`);
      positions.set(token, list);
    }
    at += 1;
  };
  put(subject.words, 'A');
  put(subject.terms, 'A');
  put(text.words, 'D');
  put([...text.terms, ...doc.tags.map(tagToken)], 'D');
  return [...positions].map(([token, list]) => `'${token}':${list.join(',')}`).join(' ');
}

/** A match as tsquery text; `:A` keeps a subject match to the subject's lexemes. */
function tsMatch(m: TextMatch): string {
  const weight = m.subject ? 'A' : '';
  const lexeme = (t: string) => `'${t}'${m.prefix || weight ? `:${m.prefix ? '*' : ''}${weight}` : ''}`;
  if (m.anyOf) return `(${m.anyOf.map(lexeme).join(' | ')})`;
  return m.tokens.length > 1 ? `(${m.tokens.map(lexeme).join(' <-> ')})` : lexeme(m.tokens[0]);
}

const anyOf = (matches: readonly TextMatch[]) => `(${matches.map(tsMatch).join(' | ')})`;

/** Search on PostgreSQL: a tsvector per document with a GIN index, ranked by ts_rank. */
export const postgresSearch: SearchEngine = {
  async create(db, name) {
    await sql`drop table if exists ${sql.table(name)}`.execute(db);
    await createSearchIndex(db, 'postgres', name);
  },

  async replace(db, name, keys, docs) {
    for (const [type, ids] of idsByType(keys)) {
      for (const run of inRuns(ids, INSERT_BATCH)) {
        await (db as Executor)
          .deleteFrom(name as 'search_doc')
          .where('type', '=', type)
          .where('object_id', 'in', run)
          .execute();
      }
    }
    for (const run of shapedRuns(docs, DOCUMENT_RUN)) {
      const rows = run.map((d) => ({ ...docRow(d), vector: vectorOf(d) }));
      await runShaped(
        db,
        `insert ${name} x${run.length}`,
        () => (db as any).insertInto(name).values(rows.map((r) => ({ ...r, vector: sql`${r.vector}::tsvector` }))),
        rowParameters(rows).parameters,
      );
    }
  },

  async search(db, rules, name, request) {
    const { match, exclude, tags } = request.query;
    const where = narrowing(rules, request);
    const from = sql`${sql.table(name)} d`;
    let plan: TextPlan = { from, where, newest: sql`d.doc desc` };
    if (match.length === 0 && tags.length === 0) {
      if (exclude.length) where.push(sql`not (d.vector @@ ${anyOf(exclude)}::tsquery)`);
    } else {
      const positive = [
        ...match.map(tsMatch),
        ...(tags.length ? [`(${tags.map((t) => `'${tagToken(t)}'`).join(' | ')})`] : []),
      ].join(' & ');
      const query = exclude.length ? `${positive} & !${anyOf(exclude)}` : positive;
      plan = { ...plan, where: [sql`d.vector @@ ${query}::tsquery`, ...where] };
    }
    // The planner's guess of a search's cost passes jit_above_cost, and compiling it takes tens of
    // milliseconds longer than the search itself; parallel workers, started for a scan that stops
    // at the newest 1,000 matches, take cores from the other searches and writes running at the
    // same time and double its time on a busy server. Both off, for this transaction only.
    const run = async (tx: Executor) => {
      await sql`select set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`.execute(tx);
      return runPlan(tx, name, plan, request);
    };
    return db.isTransaction ? run(db) : db.transaction().execute(run);
  },

  // pg_trgm's index on entity values (migration 0012) finds the candidates; without the extension
  // the same query reads the whole entity table.
  async indicatorsLike(db, pattern, limit) {
    const like = pattern.split('*').map(escapeLike).join('%');
    const { rows } = await sql<{ value: string }>`select value from entity
      where value ilike ${like} escape '\\' order by id desc limit ${limit}`.execute(db);
    return rows.map((r) => r.value);
  },

  async swap(db, from, to) {
    // A table built in one go has no statistics yet: without them the planner ranks every match of a
    // common word instead of reading the newest few.
    await sql`analyze ${sql.table(from)}`.execute(db);
    await sql`drop table ${sql.table(to)}`.execute(db);
    await sql`alter table ${sql.table(from)} rename to ${sql.table(to)}`.execute(db);
    // Index names are unique in a schema: the next rebuild creates the `from` names again.
    await sql`alter table ${sql.table(to)} rename constraint ${sql.id(`${from}_object`)} to ${sql.id(`${to}_object`)}`.execute(
      db,
    );
    await sql`alter index ${sql.id(`${from}_vector`)} rename to ${sql.id(`${to}_vector`)}`.execute(db);
  },
};
