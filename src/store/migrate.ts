import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { StoreKind } from './dialect/rules.js';
import * as initial from './migrations/0001_initial.js';
import * as scot3 from './migrations/0002_scot3.js';
import * as messageIdPerReader from './migrations/0005_message_id_per_reader.js';
import * as view from './migrations/0006_view.js';
import * as job from './migrations/0007_job.js';
import * as entity from './migrations/0008_entity.js';
import * as search from './migrations/0009_search.js';
import * as listIndex from './migrations/0010_list_index.js';
import * as indicatorTrigram from './migrations/0012_indicator_trigram.js';
import * as trigramBySearch from './migrations/0013_trigram_by_search.js';
import * as liveIndex from './migrations/0014_live_index.js';
import * as liveCount from './migrations/0015_live_count.js';

/** Versioned migrations, applied in name order; the same list serves both backends. */
const MIGRATIONS = {
  '0001_initial': initial,
  '0002_scot3': scot3,
  '0005_message_id_per_reader': messageIdPerReader,
  '0006_view': view,
  '0007_job': job,
  '0008_entity': entity,
  '0009_search': search,
  '0010_list_index': listIndex,
  '0012_indicator_trigram': indicatorTrigram,
  '0013_trigram_by_search': trigramBySearch,
  '0014_live_index': liveIndex,
  '0015_live_count': liveCount,
};

function migrator(db: Kysely<any>, kind: StoreKind): Migrator {
  const provider = {
    async getMigrations(): Promise<Record<string, Migration>> {
      return Object.fromEntries(Object.entries(MIGRATIONS).map(([name, m]) => [name, { up: (d: Kysely<any>) => m.up(d, kind) }]));
    },
  };
  return new Migrator({ db, provider, migrationTableName: 'schema_migration', migrationLockTableName: 'schema_migration_lock' });
}

/** Brings the schema up to date; safe to run any number of times. Returns the names applied now. */
export async function migrateToLatest(db: Kysely<any>, kind: StoreKind): Promise<string[]> {
  const result: MigrationResultSet = await migrator(db, kind).migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export const LATEST_SCHEMA_VERSION = Object.keys(MIGRATIONS).at(-1)!;
