import type { Principal } from '../domain/principal.js';
import { appendChanges, type ChangeRecord, type NewChange } from '../store/change.js';
import type { Executor } from '../store/index.js';
import type { DialectRules } from '../store/dialect/rules.js';
import type { App } from './context.js';

/** One transaction of a use case: its queries, who acts, when, and the changes it will log. */
export class Unit {
  readonly changes: NewChange[] = [];

  constructor(
    readonly db: Executor,
    readonly rules: DialectRules,
    readonly who: Principal,
    readonly now: number,
    readonly app: App,
  ) {}

  record(type: string, id: number, action: string, diff: unknown = {}) {
    this.changes.push({ at: this.now, who: this.who.username, type, target_id: id, action, diff });
  }
}

/**
 * Runs `work` in one store transaction and appends its changes to the change log in that same
 * transaction; the feed hears of them only once they are committed.
 */
export async function inTransaction<T>(app: App, who: Principal, work: (unit: Unit) => Promise<T>): Promise<T> {
  const now = app.now();
  const { result, committed } = await app.store.db.transaction().execute(async (tx) => {
    const unit = new Unit(tx, app.store.rules, who, now, app);
    const result = await work(unit);
    const seqs = await appendChanges(tx, unit.changes);
    const committed: ChangeRecord[] = unit.changes.map((c, i) => ({ ...c, seq: seqs[i] }));
    return { result, committed };
  });
  if (app.feed.listenerCount('change') > 0) for (const c of committed) app.feed.emit('change', c);
  return result;
}

/** A unit that reads outside any transaction. */
export function reader(app: App, who: Principal): Unit {
  return new Unit(app.store.db, app.store.rules, who, app.now(), app);
}
