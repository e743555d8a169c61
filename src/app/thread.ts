import type { EntryTargetType } from '../domain/catalog.js';
import type { Principal } from '../domain/principal.js';
import { readableTarget } from './access.js';
import type { App } from './context.js';
import { envelope, MAX_LIMIT, parsePage, type ListEnvelope, type RawQuery } from './list.js';
import { listObjects } from './object.js';
import { reader } from './unit.js';
import type { EntryRecord } from './entry.js';

/** An entry as a thread shows it: with its replies nested, unless listed flat. */
export type ThreadedEntry = Partial<EntryRecord> & { children?: ThreadedEntry[] };

/**
 * The entries of an object as SCOT 3 listed them: top-level entries, oldest first, each with its
 * replies nested in `children`; paging and `totalRecordCount` count top-level entries.
 * `flat=1` lists every entry on its own instead.
 */
export async function entriesOf(
  app: App,
  who: Principal,
  type: EntryTargetType,
  id: number,
  q: RawQuery,
): Promise<ListEnvelope<ThreadedEntry>> {
  const unit = reader(app, who);
  await readableTarget(unit, type, id);
  const scope = [
    { column: 'target_type', kind: 'exact' as const, values: [type] },
    { column: 'target_id', kind: 'int' as const, values: [String(id)] },
  ];
  // An object's entries are read in one page by default: they are a conversation, not a feed.
  const { flat, ...listQuery }: RawQuery = { sort: 'id', limit: String(MAX_LIMIT), ...q };
  if (flat === '1' || flat === 'true') return listObjects(unit, 'entry', listQuery, scope);
  const { limit, offset, ...rest } = listQuery;
  const page = parsePage({ limit, offset });
  const entries: Partial<EntryRecord>[] = [];
  // Bounded by the object's entry count: each round reads a full page or ends.
  for (let read = 0; ; read += MAX_LIMIT) {
    const got = await listObjects(unit, 'entry', { ...rest, limit: String(MAX_LIMIT), offset: String(read) }, scope);
    entries.push(...got.records);
    if (got.records.length < MAX_LIMIT) break;
  }
  const byId = new Map(entries.map((e) => [e.id, { ...e, children: [] as ThreadedEntry[] }] as const));
  const roots: ThreadedEntry[] = [];
  for (const entry of byId.values()) {
    const parent = entry.parent === null ? undefined : byId.get(entry.parent);
    if (parent) parent.children.push(entry);
    else roots.push(entry);
  }
  return envelope(roots.slice(page.offset, page.offset + page.limit), roots.length);
}
