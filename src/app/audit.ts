import { MAX_EPOCH, MAX_ID } from '../domain/catalog.js';
import { badInput, forbidden } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import { listChanges } from '../store/change.js';
import type { App } from './context.js';
import { envelope, isWhole, listParam, parsePage, type ListEnvelope, type RawQuery } from './list.js';
import { presentChange, type ChangeView } from './view.js';

/** What the audit log filters by: list parameters, and `when` as `<from>,<to>` epoch seconds. */
const AUDIT_PARAMETERS = ['type', 'id', 'who', 'action', 'when', 'limit', 'offset', 'sort'];

/** SCOT 3's names for what an audit record says happened; other actions keep SCOT's name. */
const SCOT3_WHAT: Record<string, string> = { create: 'create_thing', update: 'update_thing', delete: 'delete_thing' };

/** An audit log record: a change, and what SCOT 3's audit records said of it (`what`, `data: {thing, id}`). */
export interface AuditView extends ChangeView {
  what: string;
  data: { thing: string; id: number };
}

function presentAudit(change: ChangeView): AuditView {
  return { ...change, what: SCOT3_WHAT[change.action] ?? change.action, data: { thing: change.type, id: change.id } };
}

/** The change log across objects, newest first unless `sort=seq`: for admins, as SCOT 3's `/audit` was. */
export async function auditLog(app: App, who: Principal, q: RawQuery): Promise<ListEnvelope<AuditView>> {
  if (!who.admin) throw forbidden('only admins read the audit log');
  const unknown = Object.keys(q).find((name) => !AUDIT_PARAMETERS.includes(name));
  if (unknown) throw badInput(unknown, `cannot filter the audit log by "${unknown}"; filters: ${AUDIT_PARAMETERS.join(', ')}`);
  const ids = listParam(q, 'id');
  if (ids.some((id) => !isWhole(id, MAX_ID)))
    throw badInput('id', `id must be whole numbers from 0 to ${MAX_ID} separated by commas`);
  const when = typeof q.when === 'string' ? q.when : undefined;
  const [from, to, ...more] = when?.split(',') ?? [];
  if (q.when !== undefined && (when === undefined || more.length > 0 || [from, to].some((v) => v && !isWhole(v, MAX_EPOCH)))) {
    throw badInput('when', `when must be <from>,<to> in epoch seconds, whole numbers from 0 to ${MAX_EPOCH}`);
  }
  const sort = q.sort ?? '-seq';
  if (sort !== 'seq' && sort !== '-seq') throw badInput('sort', 'the audit log sorts by seq or -seq');
  const { rows, total } = await listChanges(
    app.store.db,
    {
      types: listParam(q, 'type'),
      ids: ids.map(Number),
      who: listParam(q, 'who'),
      actions: listParam(q, 'action'),
      from: from ? Number(from) : undefined,
      to: to ? Number(to) : undefined,
    },
    { ...parsePage(q), desc: sort === '-seq' },
  );
  return envelope(
    rows.map((row) => presentAudit(presentChange(row))),
    total,
  );
}
