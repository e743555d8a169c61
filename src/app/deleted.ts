import { WORKFLOW_TYPES, type WorkflowType } from '../domain/catalog.js';
import { badInput, forbidden, notFound } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import { changeBySeq, deletions } from '../store/change.js';
import { getTracked } from '../store/tracked.js';
import type { App } from './context.js';
import { envelope, parsePage, type ListEnvelope, type RawQuery } from './list.js';
import { updateObject } from './object.js';
import { reader } from './unit.js';
import type { WorkflowRecord } from './noun.js';
import { presentOne } from './nouns.js';

/** A deletion of SCOT 3's `deleted` collection, with the object it deleted. */
export interface DeletionRecord {
  id: number;
  when: number;
  who: string;
  type: WorkflowType;
  data: WorkflowRecord;
}

const mustBeAdmin = (who: Principal) => {
  if (!who.admin) throw forbidden('only admins see and restore deleted objects');
};

/**
 * SCOT 3's `deleted` collection, for admins: each deleted object once, newest deletion first, as
 * `{id, when, who, type, data}` where `id` is the deletion's (the seq of its change) and `data` the object.
 */
export async function listDeleted(app: App, who: Principal, q: RawQuery): Promise<ListEnvelope<DeletionRecord>> {
  mustBeAdmin(who);
  const unknown = Object.keys(q).find((name) => name !== 'limit' && name !== 'offset');
  if (unknown) throw badInput(unknown, `deleted objects are listed by limit and offset, not "${unknown}"`);
  const unit = reader(app, who);
  const { rows, total } = await deletions(app.store.db, WORKFLOW_TYPES, parsePage(q));
  const records: DeletionRecord[] = [];
  for (const c of rows) {
    const type = c.type as WorkflowType;
    const row = (await getTracked(unit.db, type, c.target_id, { includeDeleted: true }))!;
    records.push({ id: c.seq, when: c.at, who: c.who, type, data: await presentOne(unit, type, row) });
  }
  return envelope(records, total);
}

/** Restores the object of deletion `seq` (SCOT 3's `PUT /deleted/:id {"status": "undelete"}`). */
export async function undeleteDeleted(
  app: App,
  who: Principal,
  seq: number,
): Promise<{ type: WorkflowType; record: WorkflowRecord }> {
  mustBeAdmin(who);
  const change = await changeBySeq(app.store.db, seq);
  const type = WORKFLOW_TYPES.find((t) => t === change?.type);
  const row =
    change?.action === 'delete' && type
      ? await getTracked(app.store.db, type, change.target_id, { includeDeleted: true })
      : undefined;
  // A deletion whose object is back is no longer in the collection.
  if (!type || !row || row.deleted_at === null) throw notFound('deleted', seq);
  return { type, record: await updateObject(app, who, type, row.id, { undelete: true }) };
}
