import crypto from 'node:crypto';
import pg from 'pg';

/** A maintenance connection on loopback, used to create and drop one database per test file. */
export const POSTGRES_ADMIN_URL = process.env.SCOT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<string | undefined> | undefined;

/** Undefined when PostgreSQL answers; otherwise why not. SCOT_REQUIRE_POSTGRES=1 (CI) turns absence into a failure. */
export function postgresUnavailable(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (err) {
      const reason = `PostgreSQL not reachable at ${POSTGRES_ADMIN_URL} (${(err as Error).message}); PostgreSQL tests skipped`;
      if (process.env.SCOT_REQUIRE_POSTGRES === '1')
        throw new Error(reason.replace('; PostgreSQL tests skipped', ' and SCOT_REQUIRE_POSTGRES=1'));
      console.warn(reason);
      return reason;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/** A new empty database on the server of `adminUrl` (a benchmark names its own); `drop` removes it. */
export async function freshPostgresDatabase(adminUrl = POSTGRES_ADMIN_URL): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `scot_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
