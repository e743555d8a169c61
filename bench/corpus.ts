/**
 * The million-alert corpus of bench/list, written straight into the database in SQL: alertgroups of
 * ten alerts with realistic cells, tags and sources from small pools, and some events with entries.
 * It skips the change log (no history, search or flair work for these rows): what is measured is
 * listing, not the background work that ingest would queue.
 */
import { sql } from 'kysely';
import type { Store } from '../src/store/index.js';

/** Tags and sources drawn from small pools, as detection systems send them. */
export const TAGS = ['phishing', 'malware', 'c2', 'recon', 'lateral', 'exfil', 'policy', 'noise'];
export const SOURCES = ['edr', 'ids', 'mail', 'proxy', 'firewall'];
export const OWNERS = ['scot-alerts', 'alice', 'bob', 'carol'];
/** The first alertgroup's creation time; each next one comes 30 s later. */
export const EPOCH = 1_700_000_000;
const ROWS = 10;
const CHUNK = 5000;
const SIGNATURES = ['ET POLICY Suspicious outbound connection', 'ET MALWARE Beacon', 'ET SCAN Nmap', 'ET DNS Query to .top'];

/** How many alertgroups the database holds. */
export async function alertgroupCount(store: Store): Promise<number> {
  const row = await sql<{ n: number }>`select count(*) as n from alertgroup`.execute(store.db);
  return Number(row.rows[0].n);
}

/** Row `i` of alertgroup `n`, the cells the corpus's SQL writes, for alertgroups posted over HTTP. */
export const corpusRow = (n: number, i: number) => ({
  src_ip: `10.${Math.floor(n / 256) % 256}.${n % 256}.${i}`,
  dest_ip: '192.0.2.10',
  dest_port: 443,
  signature: SIGNATURES[(n + i) % SIGNATURES.length],
  host: `ws-${n % 500}.corp.example`,
  count: i + 1,
});

const pick = (n: string, pool: readonly string[], ids?: Map<string, number>) =>
  `case ${n} % ${pool.length} ${pool.map((p, i) => `when ${i} then ${ids ? ids.get(p) : `'${p}'`}`).join(' ')} end`;

/** Adds alertgroups `from`..`to` (ids) of ten alerts each, in chunks; calls `progress` after each. */
export async function loadCorpus(store: Store, from: number, to: number, progress: (done: number) => void): Promise<void> {
  const labelIds: Record<'tag' | 'source', Map<string, number>> = { tag: new Map(), source: new Map() };
  for (const [kind, pool] of [
    ['tag', TAGS],
    ['source', SOURCES],
  ] as const) {
    await store.db
      .insertInto(kind)
      .values(pool.map((name) => ({ name, description: '', created: EPOCH })))
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    for (const r of await store.db.selectFrom(kind).select(['id', 'name']).where('name', 'in', pool).execute())
      labelIds[kind].set(r.name, r.id);
  }
  const status = `case when n % 5 = 0 then 'closed' else 'open' end`;
  const groups = `case when n % 50 = 0 then '["red"]' else '["ir"]' end`;
  for (let a = from; a <= to; a += CHUNK) {
    const b = Math.min(to, a + CHUNK - 1);
    const series = `with recursive s(n) as (select ${a} union all select n + 1 from s where n < ${b})`;
    const rows = `k(i) as (select 0 union all select i + 1 from k where i < ${ROWS - 1})`;
    await store.db.transaction().execute(async (tx) => {
      await sql
        .raw(`${series}
insert into alertgroup (id, status, owner, created, updated, read_groups, modify_groups, tlp, message_id, subject, columns,
  alert_count, open_count, closed_count, promoted_count)
select n, ${status}, ${pick('n', OWNERS)}, ${EPOCH} + n * 30, ${EPOCH} + n * 30 + (n % 7) * 60, ${groups}, ${groups}, 'amber',
  'corpus-' || n, 'Detectotron3k Alert: Bad Stuff Found #' || (n % 100),
  '["src_ip","dest_ip","dest_port","signature","host","count"]',
  ${ROWS}, case when n % 5 = 0 then 0 else ${ROWS} end, case when n % 5 = 0 then ${ROWS} else 0 end, 0 from s`)
        .execute(tx);
      await sql
        .raw(`${series}, ${rows}
insert into alert (id, alertgroup_id, status, owner, created, updated, read_groups, modify_groups, tlp, data)
select (n - 1) * ${ROWS} + i + 1, n, ${status}, ${pick('n', OWNERS)}, ${EPOCH} + n * 30, ${EPOCH} + n * 30 + (n % 7) * 60,
  ${groups}, ${groups}, 'amber',
  '{"src_ip":"10.' || (n / 256 % 256) || '.' || (n % 256) || '.' || i || '","dest_ip":"192.0.2.10","dest_port":443,"signature":"'
  || ${pick('(n + i)', SIGNATURES)} || '","host":"ws-' || (n % 500) || '.corp.example","count":' || (i + 1) || '}'
from s cross join k`)
        .execute(tx);
      // Two tags (the same one twice on some) and one source per alertgroup.
      for (const [kind, expr] of [
        ['tag', pick('n', TAGS, labelIds.tag)],
        ['tag', pick('(n / 8 + 3)', TAGS, labelIds.tag)],
        ['source', pick('n', SOURCES, labelIds.source)],
      ] as const) {
        await sql
          .raw(`${series}
insert into ${kind}_link (label_id, target_type, target_id) select ${expr}, 'alertgroup', n from s where true
on conflict do nothing`)
          .execute(tx);
      }
    });
    progress(b - from + 1);
  }
  if (store.kind === 'postgres') {
    for (const table of ['alertgroup', 'alert'])
      await sql.raw(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`).execute(store.db);
  }
}

/** A few events, each with entries: what `/event/:id/entry` lists. */
export async function loadEvents(store: Store, events: number, entriesEach: number): Promise<void> {
  const series = `with recursive s(n) as (select 1 union all select n + 1 from s where n < ${events})`;
  const each = `k(i) as (select 0 union all select i + 1 from k where i < ${entriesEach - 1})`;
  await sql
    .raw(`${series}
insert into event (id, status, owner, created, updated, read_groups, modify_groups, tlp, subject)
select n, 'open', 'alice', ${EPOCH} + n * 600, ${EPOCH} + n * 600, '["ir"]', '["ir"]', 'amber', 'Investigation ' || n from s`)
    .execute(store.db);
  await sql
    .raw(`${series}, ${each}
insert into entry (status, owner, created, updated, read_groups, modify_groups, tlp, target_type, target_id, body, class)
select 'open', 'alice', ${EPOCH} + n * 600 + i, ${EPOCH} + n * 600 + i, '["ir"]', '["ir"]', 'amber', 'event', n,
  '<p>Checked host ws-' || (n % 500) || '.corp.example: blocked 203.0.113.' || (i % 250) || ' at the proxy</p>', 'entry'
from s cross join k`)
    .execute(store.db);
  if (store.kind === 'postgres')
    await sql.raw(`select setval(pg_get_serial_sequence('event', 'id'), (select max(id) from event))`).execute(store.db);
}
