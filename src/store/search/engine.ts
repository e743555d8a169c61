import { sql, type RawBuilder } from 'kysely';
import type { SearchQuery } from '../../domain/search/query.js';
import { scorerOf } from '../../domain/search/rank.js';
import type { tokenize } from '../../domain/search/text.js';
import type { DialectRules } from '../dialect/rules.js';
import { entityReadable } from '../entity.js';
import type { Executor } from '../index.js';

/** What the index holds of one object. */
export interface SearchDocument {
  type: string;
  id: number;
  /** Where a hit opens: an entry's object, an alert's alertgroup, else the object itself. */
  targetType: string;
  targetId: number;
  /** Its read and modify groups: either lets a user find it. */
  readers: string[];
  status: string;
  owner: string;
  created: number;
  subject: string;
  text: string;
  /** Its tag names when indexed. */
  tags: string[];
  /** The tokens of its subject and text, made as it is read: outside the transaction that stores it. */
  tokens: { subject: Tokens; text: Tokens };
}

/** A text's words in order (for phrases) and its distinct terms. */
type Tokens = ReturnType<typeof tokenize>;

/** One object of the index, named by type and id. */
export interface DocKey {
  type: string;
  id: number;
}

/** A document that matched, with its engine's relevance (higher is better). */
export interface SearchHit {
  type: string;
  id: number;
  targetType: string;
  targetId: number;
  score: number;
  subject: string;
  text: string;
}

/** What one search asks of the index: the query, whose groups may read (null: any), and the page. */
export interface IndexSearch {
  query: SearchQuery;
  readableBy: readonly string[] | null;
  limit: number;
  offset: number;
}

/**
 * A full-text index behind one interface: SQLite FTS5 and PostgreSQL tsvector here. An external
 * engine (OpenSearch, for very large installations) would implement the same operations,
 * keeping `readers` in each document so that permissions stay inside its query too.
 */
export interface SearchEngine {
  /** Makes an empty index `name`, dropping one left there by an interrupted rebuild. */
  create(db: Executor, name: string): Promise<void>;
  /** Replaces the documents of `keys` in index `name` with `docs`; a key without a doc leaves the index. */
  replace(db: Executor, name: string, keys: readonly DocKey[], docs: readonly SearchDocument[]): Promise<void>;
  /** One page of hits, best first, and how many match in all. */
  search(db: Executor, rules: DialectRules, name: string, request: IndexSearch): Promise<{ hits: SearchHit[]; total: number }>;
  /**
   * Known indicators (entity values) that may fit `pattern` (`*` for any characters, case ignored),
   * the newest first, at most `limit`: every one that fits among them, perhaps a few that do not.
   */
  indicatorsLike(db: Executor, pattern: string, limit: number): Promise<string[]>;
  /** Puts index `from` in place of index `to`, in the caller's transaction. */
  swap(db: Executor, from: string, to: string): Promise<void>;
}

/** The conditions on a document's own fields and labels, aliased `d`, shared by every engine on SQL. */
export function narrowing(rules: DialectRules, request: IndexSearch): RawBuilder<unknown>[] {
  const { query, readableBy } = request;
  const parts: RawBuilder<unknown>[] = [];
  // An entity has no groups of its own: it is readable through the objects it appears in, now.
  if (readableBy)
    parts.push(sql`case when d.type = 'entity' then ${entityReadable(rules, sql.ref('d.object_id'), readableBy)}
      else ${rules.jsonArrayHasAny(sql.ref('d.readers'), readableBy)} end`);
  if (query.types.length) parts.push(sql`d.type in (${sql.join(query.types)})`);
  if (query.statuses.length) parts.push(sql`d.status in (${sql.join(query.statuses)})`);
  if (query.owners.length) parts.push(sql`d.owner in (${sql.join(query.owners)})`);
  if (query.created.from !== undefined) parts.push(sql`d.created >= ${query.created.from}`);
  if (query.created.until !== undefined) parts.push(sql`d.created < ${query.created.until}`);
  // The index narrows by tag tokens; the labels are checked live too, so a tag removed or renamed
  // a second ago no longer matches. `offset 0` keeps PostgreSQL from joining from every link of the
  // tag instead of checking the few documents the index found.
  if (query.tags.length) {
    parts.push(sql`exists (select 1 from tag_link l join tag t on t.id = l.label_id
      where l.target_type = d.type and l.target_id = d.object_id and t.name in (${sql.join(query.tags)}) limit 1 offset 0)`);
  }
  return parts;
}

/**
 * Matches a search ranks and counts at most, the most recently indexed first. Ranking every match
 * of a word in most of a million documents takes seconds on either engine; the newest matches are
 * what an analyst looks for, and the count then reads "at least 1,000", as large search engines cap theirs.
 */
export const MAX_RANKED = 1000;

/** Characters of a candidate's text that ranking reads: a long entry ranks by its beginning. */
const RANKED_TEXT = 4000;

/** How one engine matches text: its tables, its match condition, and its newest-first order. */
export interface TextPlan {
  from: RawBuilder<unknown>;
  where: RawBuilder<unknown>[];
  /** An order the engine reads matches in without sorting them: the newest document first. */
  newest: RawBuilder<unknown>;
}

type Candidate = {
  doc: number;
  type: string;
  object_id: number;
  target_type: string;
  target_id: number;
  created: number;
  subject: string;
  text: string;
};

/**
 * Runs a plan: the newest matches (at most MAX_RANKED, also the count), ranked best first by
 * `scorerOf` (newest first among equals), and one page of them with their whole text.
 */
export async function runPlan(
  db: Executor,
  name: string,
  plan: TextPlan,
  request: IndexSearch,
): Promise<{ hits: SearchHit[]; total: number }> {
  const where = plan.where.length ? sql.join(plan.where, sql` and `) : sql`1 = 1`;
  const { rows } = await sql<Candidate>`
    select d.doc, d.type, d.object_id, d.target_type, d.target_id, d.created, d.subject, substr(d.text, 1, ${RANKED_TEXT}) as text
    from ${plan.from} where ${where} order by ${plan.newest} limit ${MAX_RANKED}`.execute(db);
  const scoreOf = scorerOf(request.query.match);
  const ranked = rows
    .map((r) => ({ r, score: scoreOf(r.subject, r.text) }))
    .sort((a, b) => b.score - a.score || Number(b.r.created) - Number(a.r.created) || Number(b.r.doc) - Number(a.r.doc))
    .slice(request.offset, request.offset + request.limit);
  const long = ranked.filter(({ r }) => r.text.length === RANKED_TEXT).map(({ r }) => r.doc);
  const texts = new Map<number, string>();
  if (long.length) {
    const { rows: whole } = await sql<{ doc: number; text: string }>`
      select doc, text from ${sql.table(name)} where doc in (${sql.join(long)})`.execute(db);
    for (const w of whole) texts.set(Number(w.doc), w.text);
  }
  const hits = ranked.map(({ r, score }) => ({
    type: r.type,
    id: Number(r.object_id),
    targetType: r.target_type,
    targetId: Number(r.target_id),
    score,
    subject: r.subject,
    text: texts.get(Number(r.doc)) ?? r.text,
  }));
  return { hits, total: rows.length };
}

/** Documents of `keys` grouped by type, for deleting them type by type. */
export function idsByType(keys: readonly DocKey[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const key of keys) {
    if (!out.has(key.type)) out.set(key.type, []);
    out.get(key.type)!.push(key.id);
  }
  return out;
}

/** Ids per statement: far below either engine's limit of parameters. */
export const INSERT_BATCH = 500;

/** Documents per insert: with its words in the full-text index, a statement of 128 takes a few ms. */
export const DOCUMENT_RUN = 128;

/** `items` in runs of `size`. */
export function inRuns<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A document as its index row stores it. */
export const docRow = (d: SearchDocument) => ({
  type: d.type,
  object_id: d.id,
  target_type: d.targetType,
  target_id: d.targetId,
  readers: JSON.stringify(d.readers),
  status: d.status,
  owner: d.owner,
  created: d.created,
  subject: d.subject,
  text: d.text,
});
