import type { Executor } from './index.js';

/**
 * Gives `owner` the lease of cursor `name` (created at seq 0) when it is free, expired or already
 * theirs; the seq it stands at, or undefined when another node holds it.
 */
export async function leaseCursor(
  db: Executor,
  name: string,
  owner: string,
  now: number,
  until: number,
): Promise<number | undefined> {
  await db
    .insertInto('cursor')
    .values({ name, seq: 0, lease_owner: null, lease_until: null, updated: now })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .updateTable('cursor')
    .set({ lease_owner: owner, lease_until: until })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', now)]))
    .returning('seq')
    .executeTakeFirst();
  return row ? Number(row.seq) : undefined;
}

/**
 * Moves cursor `name` from `from` to `to` if `owner` still holds it there; false otherwise. Inside the
 * transaction that stored the batch's derived data, a false must roll that data back.
 */
export async function advanceCursor(
  db: Executor,
  name: string,
  owner: string,
  from: number,
  to: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('cursor')
    .set({ seq: to, updated: now })
    .where('name', '=', name)
    .where('lease_owner', '=', owner)
    .where('seq', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives up `owner`'s lease on cursor `name`, so another node may take it at once. */
export async function releaseCursor(db: Executor, name: string, owner: string): Promise<void> {
  await db
    .updateTable('cursor')
    .set({ lease_owner: null, lease_until: null })
    .where('name', '=', name)
    .where('lease_owner', '=', owner)
    .execute();
}

/** The seq cursor `name` stands at; undefined before its consumer first ran. */
export async function cursorSeq(db: Executor, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('cursor').select('seq').where('name', '=', name).executeTakeFirst();
  return row ? Number(row.seq) : undefined;
}

/**
 * Puts cursor `name` at `seq`, whoever holds it, so its consumer processes again every change
 * after `seq`. A batch running meanwhile finds the cursor moved and rolls back.
 */
export async function rewindCursor(db: Executor, name: string, seq: number, now: number): Promise<void> {
  await db
    .insertInto('cursor')
    .values({ name, seq, lease_owner: null, lease_until: null, updated: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ seq, updated: now }))
    .execute();
}
