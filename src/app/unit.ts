import type { Principal } from '../domain/principal.js';
import { appendChanges, type ChangeRecord, type NewChange } from '../store/change.js';
import { readsOf, type Executor } from '../store/index.js';
import type { DialectRules } from '../store/dialect/rules.js';
import type { App } from './context.js';
import { retryOnStaleLabel } from '../store/label.js';

/** One transaction of a use case: its queries, who acts, when, and the changes it will log. */
export class Unit {
  readonly changes: NewChange[] = [];
  readonly committed: (() => void)[] = [];

  constructor(
    readonly db: Executor,
    readonly rules: DialectRules,
    readonly who: Principal,
    readonly now: number,
    readonly app: App,
  ) {}

  /** Runs `effect` once the transaction has committed, never if it rolls back. */
  afterCommit(effect: () => void) {
    this.committed.push(effect);
  }

  record(type: string, id: number, action: string, diff: unknown = {}) {
    this.changes.push({ at: this.now, who: this.who.username, type, target_id: id, action, diff });
  }
}

/**
 * Runs `work` in one store transaction and appends its changes to the change log in that same
 * transaction; the feed hears of them only once they are committed.
 */
export async function inTransaction<T>(app: App, who: Principal, work: (unit: Unit) => Promise<T>): Promise<T> {
  return retryOnStaleLabel(app.store, () =>
    transact(app, async (tx, now) => {
      const unit = new Unit(tx, app.store.rules, who, now, app);
      return { result: await work(unit), units: [unit] };
    }),
  );
}

/**
 * One transaction for the work of any number of units: their changes are appended before the
 * commit; their after-commit effects and feed notices run once it succeeded.
 */
export async function transact<T>(
  app: App,
  body: (tx: Executor, now: number) => Promise<{ result: T; units: Unit[] }>,
): Promise<T> {
  const now = app.now();
  const { result, units, changes } = await app.store.db.transaction().execute(async (tx) => {
    const { result, units } = await body(tx, now);
    const all = units.flatMap((u) => u.changes);
    const seqs = await appendChanges(tx, all);
    for (const announce of app.store.rules.announceChanges(seqs)) await announce.execute(tx);
    const changes: ChangeRecord[] = all.map((c, i) => ({ ...c, seq: seqs[i] }));
    return { result, units, changes };
  });
  for (const unit of units) for (const effect of unit.committed) effect();
  if (app.feed.listenerCount('change') > 0) for (const c of changes) app.feed.emit('change', c);
  return result;
}

/** A unit that reads outside any transaction, on the store's reading connection where it has one. */
export function reader(app: App, who: Principal): Unit {
  return new Unit(readsOf(app.store), app.store.rules, who, app.now(), app);
}
