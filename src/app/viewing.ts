import type { Principal } from '../domain/principal.js';
import { addViews, upsertViewHistory, type ViewedType, type ViewRow } from '../store/view.js';
import type { App } from './context.js';

/** How often views noted in memory are stored. */
export const VIEW_FLUSH_SECONDS = 5;

/** Views noted since the last flush: counts per object, and each user's latest view of it. */
interface Noted {
  counts: Map<string, { type: ViewedType; id: number; n: number }>;
  latest: Map<string, ViewRow>;
}

const noted = new WeakMap<App, Noted>();

/**
 * Notes that `who` opened an object, from `address`. Stored by the next flush, so reading never
 * writes. Detection systems and scripts reading with an API key are not viewers and are not counted.
 */
export function noteView(app: App, who: Principal, type: ViewedType, id: number, address: string) {
  if (who.via === 'apikey') return;
  let views = noted.get(app);
  if (!views) noted.set(app, (views = { counts: new Map(), latest: new Map() }));
  const key = `${type}:${id}`;
  const count = views.counts.get(key) ?? views.counts.set(key, { type, id, n: 0 }).get(key)!;
  count.n += 1;
  views.latest.set(`${key}:${who.username}`, {
    target_type: type,
    target_id: id,
    username: who.username,
    viewed_at: app.now(),
    address,
  });
}

/** Stores the views noted since the last flush in one transaction. Returns how many views it stored. */
export async function flushViews(app: App): Promise<number> {
  const views = noted.get(app);
  if (!views || views.counts.size === 0) return 0;
  noted.delete(app);
  await app.store.db.transaction().execute(async (tx) => {
    for (const { type, id, n } of views.counts.values()) await addViews(tx, type, id, n);
    await upsertViewHistory(tx, [...views.latest.values()]);
  });
  return [...views.counts.values()].reduce((sum, c) => sum + c.n, 0);
}
