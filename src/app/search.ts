import {
  MAX_PATTERN_INDICATORS,
  parseSearchQuery,
  patternsOf,
  SEARCH_TYPES,
  withIndicators,
  type SearchQuery,
} from '../domain/search/query.js';
import { snippetOf } from '../domain/search/snippet.js';
import { badInput } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import { headSeq } from '../store/change.js';
import { cursorSeq, rewindCursor } from '../store/cursor.js';
import type { Executor } from '../store/index.js';
import { countIndexable, documentsOf, idsAfter, INDEXERS, isIndexed, taggedWith } from '../store/search/document.js';
import { inRuns, INSERT_BATCH, type DocKey, type SearchDocument } from '../store/search/engine.js';
import type { StoreKind } from '../store/dialect/rules.js';
import { countDocuments, NEXT_SEARCH_INDEX, SEARCH_INDEX, searchEngineFor } from '../store/search/index.js';
import type { ChangeConsumer } from '../jobs/consumer.js';
import { adminOnly, dedupe } from './access.js';
import type { App } from './context.js';
import { envelope, parsePage, type ListEnvelope, type RawQuery } from './list.js';
import { reader, transact } from './unit.js';

/** The change-log consumer that keeps the search index, and the name of its cursor. */
const CONSUMER = 'search';

/** Objects a rebuild reads and indexes per transaction. */
const REINDEX_BATCH = 2000;

/** Documents to put in the index: for each object named once, its document, or none when it is gone. */
interface IndexUpdate {
  keys: DocKey[];
  docs: SearchDocument[];
}

/** The documents of `keys` as the primary tables hold them now; `keys` without repeats. */
async function documentsFor(db: Executor, keys: readonly DocKey[]): Promise<IndexUpdate> {
  const unique: DocKey[] = [];
  const docs: SearchDocument[] = [];
  for (const type of SEARCH_TYPES) {
    const ids = dedupe(keys.filter((k) => k.type === type).map((k) => k.id));
    if (ids.length === 0) continue;
    unique.push(...ids.map((id) => ({ type, id })));
    // An alertgroup of 100,000 alerts would pass PostgreSQL's limit of parameters in one query.
    for (const run of inRuns(ids, INSERT_BATCH)) docs.push(...(await documentsOf(db, type, run)));
  }
  return { keys: unique, docs };
}

/**
 * Replaces the documents of `keys` in index `name` with what the primary tables hold now; `fresh`
 * when the index cannot hold them yet (a rebuild), so there is nothing to delete first.
 */
async function indexObjects(db: Executor, kind: StoreKind, name: string, keys: readonly DocKey[], fresh = false): Promise<void> {
  const { keys: unique, docs } = await documentsFor(db, keys);
  await searchEngineFor(kind).replace(db, name, fresh ? [] : unique, docs);
}

/** `keys` and the documents that show something of them. */
async function withDependents(db: Executor, keys: readonly DocKey[]): Promise<DocKey[]> {
  const all = [...keys];
  for (const type of SEARCH_TYPES) {
    const dependents = INDEXERS[type].dependents;
    const ids = keys.filter((k) => k.type === type).map((k) => k.id);
    if (dependents && ids.length) all.push(...(await dependents(db, ids)));
  }
  return all;
}

/** Who the indexer reads as: the system, reading everything. */
const INDEXER: Principal = { userId: 0, username: `scot:${CONSUMER}`, groups: [], admin: true };

/**
 * Keeps the search index in step with the change log: each batch re-reads the objects it names
 * before its transaction, and only replaces their documents in the transaction that moves the
 * cursor, so the index is consistent after a crash. What it reads is at least as new as the
 * batch's changes, all committed before it reads; an object changed after that has a later change,
 * whose batch reads it again.
 */
export const searchIndexer: ChangeConsumer = {
  name: CONSUMER,
  // As flair's: about the cost per alert of larger batches, and transactions half as long.
  batchSize: 200,
  async prepare(app, changes): Promise<IndexUpdate> {
    const { db } = reader(app, INDEXER);
    const keys = changes.filter((c) => isIndexed(c.type)).map((c) => ({ type: c.type, id: c.target_id }));
    const renamedTags = changes.filter((c) => c.type === 'tag' && c.action === 'update').map((c) => c.target_id);
    if (renamedTags.length) keys.push(...(await taggedWith(db, renamedTags)).filter((k) => isIndexed(k.type)));
    return documentsFor(db, await withDependents(db, keys));
  },
  async handle(unit, _changes, prepared) {
    const { keys, docs } = prepared as IndexUpdate;
    if (keys.length) await searchEngineFor(unit.rules.kind).replace(unit.db, SEARCH_INDEX, keys, docs);
  },
};

/** One search result: what matched, how well, the text around the match, and where it opens. */
export type SearchRecord = {
  type: string;
  id: number;
  score: number;
  snippet: string;
  highlight: string;
  /** An entry's object, an alert's alertgroup; the object itself for the others. */
  target: { type: string; id: number };
};

/**
 * Searches everything the caller may read. `field` names the query parameter (`q`, or SCOT 3's
 * `qstring`). Read groups are part of the index query, so neither hits, snippets nor counts of
 * other objects reach the caller.
 */
export async function searchObjects(
  app: App,
  who: Principal,
  params: RawQuery,
  field = 'q',
): Promise<ListEnvelope<SearchRecord>> {
  const raw = params[field];
  if (Array.isArray(raw)) throw badInput(field, `${field} may be given once`);
  const parsed: SearchQuery = parseSearchQuery(raw ?? '', field);
  const unit = reader(app, who);
  const engine = searchEngineFor(app.store.kind);
  // A pattern (`*.example.com`) stands for the known indicators it fits; which ones exist says
  // nothing to the caller, whose hits are still only what their groups read.
  const found = new Map<string, string[]>();
  for (const pattern of patternsOf(parsed))
    found.set(pattern, await engine.indicatorsLike(unit.db, pattern, MAX_PATTERN_INDICATORS));
  const query = withIndicators(parsed, found);
  if (!query) return envelope([], 0);
  const { hits, total } = await engine.search(unit.db, unit.rules, SEARCH_INDEX, {
    query,
    readableBy: who.admin ? null : who.groups,
    ...parsePage(params),
  });
  const records = hits.map(
    (hit): SearchRecord => ({
      type: hit.type,
      id: hit.id,
      score: hit.score,
      ...snippetOf(hit.subject, hit.text, query.match),
      target: { type: hit.targetType, id: hit.targetId },
    }),
  );
  return envelope(records, total);
}

/** How the index stands: documents in it, and how far it is behind the change log. */
export interface SearchStatus {
  documents: number;
  /** The last change the index has. */
  seq: number;
  /** The last change in the log. */
  head: number;
  /** Changes the index is behind: head - seq. */
  lag: number;
}

/** The index's documents and lag, for admins (`scot search status`). */
export async function searchStatus(app: App, who: Principal): Promise<SearchStatus> {
  adminOnly(who, 'see the search index status');
  const { db } = app.store;
  const [documents, seq, head] = await Promise.all([countDocuments(db, SEARCH_INDEX), cursorSeq(db, CONSUMER), headSeq(db)]);
  return { documents, seq: seq ?? 0, head, lag: head - (seq ?? 0) };
}

/**
 * Rebuilds the search index from the primary tables into a new index while the server runs, then
 * swaps it in. Changes committed during the rebuild are indexed again by the consumer, which the
 * swap sends back to where the rebuild started. Reports `progress(done, total)` after each batch.
 */
export async function reindexSearch(
  app: App,
  who: Principal,
  progress: (done: number, total: number) => void | Promise<void> = () => {},
): Promise<{ documents: number }> {
  adminOnly(who, 'rebuild the search index');
  const { db, kind, rules } = app.store;
  const engine = searchEngineFor(kind);
  // What the rebuild is sure to contain: with one writer every change up to the head is committed;
  // with several, only those the consumer has passed.
  const from = rules.singleWriter ? await headSeq(db) : ((await cursorSeq(db, CONSUMER)) ?? 0);
  await engine.create(db, NEXT_SEARCH_INDEX);
  let total = 0;
  for (const type of SEARCH_TYPES) total += await countIndexable(db, type);
  let done = 0;
  await progress(done, total);
  for (const type of SEARCH_TYPES) {
    for (
      let ids = await idsAfter(db, type, 0, REINDEX_BATCH);
      ids.length > 0;
      ids = await idsAfter(db, type, ids.at(-1)!, REINDEX_BATCH)
    ) {
      await db.transaction().execute((tx) =>
        indexObjects(
          tx,
          kind,
          NEXT_SEARCH_INDEX,
          ids.map((id) => ({ type, id })),
          true,
        ),
      );
      done += ids.length;
      await progress(done, Math.max(total, done));
    }
  }
  await transact(app, async (tx, now) => {
    await engine.swap(tx, NEXT_SEARCH_INDEX, SEARCH_INDEX);
    await rewindCursor(tx, CONSUMER, from, now);
    return { result: undefined, units: [] };
  });
  return { documents: await countDocuments(db, SEARCH_INDEX) };
}
