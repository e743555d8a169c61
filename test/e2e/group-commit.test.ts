import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, serverFor } from '../helpers/e2e.js';

/** More posts at once than the PostgreSQL pool has connections: they wait and share transactions. */
const MANY = 30;

const mail = (n: number, extra: Record<string, unknown> = {}) => ({
  message_id: `<group-commit-${n}@detector>`,
  subject: `group commit ${n}`,
  data: [{ host: `ws-${n}` }, { host: `ws-${n}`, n }],
  tag: ['ids', `batch-${n % 4}`],
  source: ['detector'],
  ...extra,
});

for (const backend of await backends()) {
  describe(`${backend.name}: alertgroups posted together`, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    /**
     * A database fault no input check can foresee (here a trigger refusing one row; in life a full
     * disk, a statement timeout) that fails one alertgroup after its first rows are written.
     */
    async function failAlertsHolding(marker: string) {
      const db = scot().app.store.db;
      if (backend.name === 'postgres') {
        await sql
          .raw(
            `create function refuse_marked() returns trigger language plpgsql as $$ begin
               if new.data like '%${marker}%' then raise exception 'refused by test'; end if; return new; end $$`,
          )
          .execute(db);
        await sql`create trigger refuse_marked before insert on alert for each row execute function refuse_marked()`.execute(db);
        return async () => {
          await sql`drop trigger refuse_marked on alert`.execute(db);
          await sql`drop function refuse_marked`.execute(db);
        };
      }
      await sql
        .raw(
          `create trigger refuse_marked before insert on alert when new.data like '%${marker}%' begin select raise(abort, 'refused by test'); end`,
        )
        .execute(db);
      return async () => {
        await sql`drop trigger refuse_marked`.execute(db);
      };
    }

    it('one alertgroup failing in the database among many fails alone: the others are stored whole, nothing of it remains', async () => {
      const restore = await failAlertsHolding('refuse-me');
      try {
        const posts = Array.from({ length: MANY }, (_, n) => mail(n));
        const doomed = mail(MANY, { subject: 'doomed', data: [{ host: 'ok' }, { host: 'refuse-me' }], tag: ['doomed-only'] });
        const replies = await Promise.all([...posts, doomed].map((body) => scot().admin.post('/alertgroup', body)));
        expectError(replies.pop()!, 500);
        for (const [n, reply] of replies.entries()) {
          const posted = expectStatus(reply, 201);
          const alerts = expectStatus(await scot().admin.get(`/alertgroup/${posted.id}/alert?sort=id`), 200).records;
          assert.deepEqual(
            alerts.map((a: { id: number }) => a.id),
            posted.alerts,
          );
          assert.deepEqual(
            alerts.map((a: { data: unknown }) => a.data),
            posts[n].data,
          );
        }
        const db = scot().app.store.db;
        assert.equal(
          await db.selectFrom('alertgroup').select('id').where('subject', '=', 'doomed').executeTakeFirst(),
          undefined,
        );
        assert.equal(await db.selectFrom('alert').select('id').where('data', 'like', '%"ok"%').executeTakeFirst(), undefined);
        assert.equal(await db.selectFrom('tag').select('id').where('name', '=', 'doomed-only').executeTakeFirst(), undefined);
      } finally {
        await restore();
      }
    });

    it('every 201 comes after the commit: the alertgroup and all its alerts are readable at once on another connection', async () => {
      const replies = await Promise.all(
        Array.from({ length: MANY }, async (_, n) => {
          const posted = expectStatus(await scot().admin.post('/alertgroup', mail(100 + n)), 201);
          const alerts = expectStatus(await scot().admin.get(`/alertgroup/${posted.id}/alert?sort=id`), 200).records;
          return { posted, read: alerts.map((a: { id: number }) => a.id) };
        }),
      );
      for (const { posted, read } of replies) assert.deepEqual(read, posted.alerts);
    });

    it('reposts of one message_id racing among other posts get the one stored alertgroup back', async () => {
      const bodies = Array.from({ length: MANY }, (_, n) => mail(n % 3 === 0 ? 200 : 300 + n));
      const replies = await Promise.all(bodies.map((body) => scot().admin.post('/alertgroup', body)));
      const reposts = replies.filter((_, n) => n % 3 === 0);
      assert.equal(reposts.filter((r) => r.status === 201).length, 1);
      assert.equal(new Set(reposts.map((r) => expectStatus(r, r.status === 201 ? 201 : 200).id)).size, 1);
      for (const r of reposts.filter((r) => r.status === 200)) assert.equal(r.body.duplicate, true);
    });
  });
}
