import type { SearchType } from '../../domain/search/query.js';
import { textOfHtml, tokenize } from '../../domain/search/text.js';
import type { Executor } from '../index.js';
import type { DocKey, SearchDocument } from './engine.js';

type Row = {
  id: number;
  status: string;
  owner: string;
  created: number;
  read_groups: string;
  modify_groups: string;
};

/** How one type of object becomes search documents, and which other documents its changes touch. */
interface Indexer {
  /** The documents of the objects `ids` that exist and are not deleted, but for their tags. */
  documents(db: Executor, ids: readonly number[]): Promise<Untagged[]>;
  /** Other documents that show something of these objects: an alertgroup's alerts carry its groups. */
  dependents?(db: Executor, ids: readonly number[]): Promise<DocKey[]>;
  /** False for a table without soft delete (`deleted_at`): every row of it is indexed. */
  softDeleted?: false;
}

type Untagged = Omit<SearchDocument, 'tags' | 'tokens'>;

const readersOf = (row: Row): string[] => [...new Set([...JSON.parse(row.read_groups), ...JSON.parse(row.modify_groups)])];

const documentOf = (
  type: string,
  row: Row,
  fields: Pick<SearchDocument, 'targetType' | 'targetId' | 'subject' | 'text'>,
): Untagged => ({
  type,
  id: Number(row.id),
  readers: readersOf(row),
  status: row.status,
  owner: row.owner,
  created: Number(row.created),
  ...fields,
});

const TRACKED = ['id', 'status', 'owner', 'created', 'read_groups', 'modify_groups'] as const;

/** The text of each object's summary entries, by object id. */
async function summariesOf(db: Executor, type: 'event' | 'incident', ids: readonly number[]): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('entry')
    .select(['target_id', 'body'])
    .where('target_type', '=', type)
    .where('target_id', 'in', ids)
    .where('class', '=', 'summary')
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
  const out = new Map<number, string>();
  for (const r of rows)
    out.set(Number(r.target_id), [out.get(Number(r.target_id)), textOfHtml(r.body)].filter(Boolean).join(' '));
  return out;
}

/** An event or incident: its subject and its summary. */
const withSummary = (type: 'event' | 'incident'): Indexer => ({
  async documents(db, ids) {
    const rows = await db
      .selectFrom(type)
      .select([...TRACKED, 'subject'])
      .where('id', 'in', ids)
      .where('deleted_at', 'is', null)
      .execute();
    const summaries = await summariesOf(db, type, ids);
    return rows.map((r) =>
      documentOf(type, r, {
        targetType: type,
        targetId: Number(r.id),
        subject: r.subject,
        text: summaries.get(Number(r.id)) ?? '',
      }),
    );
  },
});

/** Every type the index holds, by the change-log type that feeds it. */
export const INDEXERS: Record<SearchType, Indexer> = {
  alertgroup: {
    async documents(db, ids) {
      const rows = await db
        .selectFrom('alertgroup')
        .select([...TRACKED, 'subject'])
        .where('id', 'in', ids)
        .where('deleted_at', 'is', null)
        .execute();
      return rows.map((r) =>
        documentOf('alertgroup', r, { targetType: 'alertgroup', targetId: Number(r.id), subject: r.subject, text: '' }),
      );
    },
    async dependents(db, ids) {
      const rows = await db.selectFrom('alert').select('id').where('alertgroup_id', 'in', ids).execute();
      return rows.map((r) => ({ type: 'alert', id: Number(r.id) }));
    },
  },
  alert: {
    async documents(db, ids) {
      const rows = await db
        .selectFrom('alert')
        .select([...TRACKED, 'alertgroup_id', 'data'])
        .where('id', 'in', ids)
        .where('deleted_at', 'is', null)
        .execute();
      // Every data cell: the values, not the column names every alert of the group shares.
      return rows.map((r) => {
        const cells = Object.values(JSON.parse(r.data) as Record<string, unknown>).map((v) =>
          typeof v === 'string' ? v : JSON.stringify(v),
        );
        return documentOf('alert', r, {
          targetType: 'alertgroup',
          targetId: Number(r.alertgroup_id),
          subject: '',
          text: cells.join(' '),
        });
      });
    },
  },
  event: withSummary('event'),
  incident: withSummary('incident'),
  entry: {
    async documents(db, ids) {
      const rows = await db
        .selectFrom('entry')
        .select([...TRACKED, 'target_type', 'target_id', 'body'])
        .where('id', 'in', ids)
        .where('deleted_at', 'is', null)
        .execute();
      // An entry on an alert opens in the alert's alertgroup, as an alert hit does.
      const alertIds = rows.filter((r) => r.target_type === 'alert').map((r) => Number(r.target_id));
      const groupOf = new Map(
        alertIds.length === 0
          ? []
          : (await db.selectFrom('alert').select(['id', 'alertgroup_id']).where('id', 'in', alertIds).execute()).map((a) => [
              Number(a.id),
              Number(a.alertgroup_id),
            ]),
      );
      return rows.map((r) => {
        const group = r.target_type === 'alert' ? groupOf.get(Number(r.target_id)) : undefined;
        const target =
          group === undefined
            ? { targetType: r.target_type, targetId: Number(r.target_id) }
            : { targetType: 'alertgroup', targetId: group };
        return documentOf('entry', r, { ...target, subject: '', text: textOfHtml(r.body) });
      });
    },
    // A summary entry is its object's summary too.
    async dependents(db, ids) {
      const rows = await db
        .selectFrom('entry')
        .select(['target_type', 'target_id'])
        .where('id', 'in', ids)
        .where('target_type', 'in', ['event', 'incident'])
        .execute();
      return rows.map((r) => ({ type: r.target_type, id: Number(r.target_id) }));
    },
  },
  // An entity is found by its value. It has no groups of its own: who may read it is decided at
  // search time by where it appears (`entityReadable` in store/entity.ts), as its page decides it.
  entity: {
    softDeleted: false,
    async documents(db, ids) {
      const rows = await db.selectFrom('entity').select(['id', 'value', 'status', 'created']).where('id', 'in', ids).execute();
      return rows.map((r) => ({
        type: 'entity',
        id: Number(r.id),
        readers: [],
        status: r.status,
        owner: '',
        created: Number(r.created),
        targetType: 'entity',
        targetId: Number(r.id),
        subject: r.value,
        text: '',
      }));
    },
  },
};

/** The documents of objects `ids` of `type` that exist and are not deleted, with their tags and tokens. */
export async function documentsOf(db: Executor, type: SearchType, ids: readonly number[]): Promise<SearchDocument[]> {
  const docs = await INDEXERS[type].documents(db, ids);
  const links = await db
    .selectFrom('tag_link as l')
    .innerJoin('tag as t', 't.id', 'l.label_id')
    .select(['l.target_id', 't.name'])
    .where('l.target_type', '=', type)
    .where('l.target_id', 'in', ids)
    .execute();
  const tags = new Map<number, string[]>();
  for (const link of links) tags.set(Number(link.target_id), [...(tags.get(Number(link.target_id)) ?? []), link.name]);
  return docs.map((d) => ({
    ...d,
    tags: tags.get(d.id) ?? [],
    tokens: { subject: tokenize(d.subject), text: tokenize(d.text) },
  }));
}

/** The objects tagged with tags `ids`: a renamed tag changes what they are found by. */
export async function taggedWith(db: Executor, ids: readonly number[]): Promise<DocKey[]> {
  const rows = await db.selectFrom('tag_link').select(['target_type', 'target_id']).where('label_id', 'in', ids).execute();
  return rows.map((r) => ({ type: r.target_type, id: Number(r.target_id) }));
}

/** True for the change-log types the index holds documents of. */
export const isIndexed = (type: string): type is SearchType => Object.hasOwn(INDEXERS, type);

/** The rows of `type` the index holds: all of them, or those not deleted. */
const indexable = (db: Executor, type: SearchType) => {
  const rows = (db as any).selectFrom(type);
  return INDEXERS[type].softDeleted === false ? rows : rows.where('deleted_at', 'is', null);
};

/** The next `limit` ids of `type` after `after`, deleted ones left out: what a rebuild reads in one step. */
export async function idsAfter(db: Executor, type: SearchType, after: number, limit: number): Promise<number[]> {
  const rows = await indexable(db, type).select('id').where('id', '>', after).orderBy('id').limit(limit).execute();
  return rows.map((r: { id: number }) => Number(r.id));
}

/** How many objects of `type` are not deleted: the rebuild's total. */
export async function countIndexable(db: Executor, type: SearchType): Promise<number> {
  const row = await indexable(db, type)
    .select((eb: any) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
