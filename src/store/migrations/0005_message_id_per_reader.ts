import type { Kysely } from 'kysely';

/**
 * message_id stops being unique: dedup is scoped to the alertgroups the poster can read, so a
 * poster who cannot read an earlier alertgroup with the same message_id gets one of its own.
 * The index stays for the lookup; alertgroups without a message_id need no entry in it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('alertgroup_message_id').execute();
  await db.schema
    .createIndex('alertgroup_message_id')
    .on('alertgroup')
    .column('message_id')
    .where('message_id', 'is not', null)
    .execute();
}
