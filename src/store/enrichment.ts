import type { DialectRules } from './dialect/rules.js';
import type { Executor } from './index.js';

/** Sets `data.<name>` of an entity to `value` in one statement, leaving its other keys as they are. */
export async function setEntityData(
  db: Executor,
  rules: DialectRules,
  id: number,
  name: string,
  value: unknown,
  now: number,
): Promise<void> {
  await db
    .updateTable('entity')
    .set((eb) => ({ data: rules.jsonWithKey(eb.ref('data'), name, JSON.stringify(value)), updated: now }))
    .where('id', '=', id)
    .execute();
}
