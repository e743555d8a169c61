import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, postAlertgroup, serverFor } from '../helpers/e2e.js';
import type { Client } from '../helpers/server.js';

/** Matches a list counts exactly here: small, so that tests reach the estimate with a dozen objects. */
const BOUND = 5;

const ids = (body: { records: { id: number }[] }) => body.records.map((r) => r.id);

/** Every page of `path` (which has its own `?`), `limit` at a time, following `nextCursor`; `between` runs after each page. */
async function pageThrough(client: Client, path: string, limit: number, between?: () => Promise<unknown>): Promise<number[]> {
  const seen: number[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const page = expectStatus(await client.get(`${path}&limit=${limit}${cursor ? `&after=${cursor}` : ''}`), 200);
    seen.push(...ids(page));
    cursor = page.nextCursor;
    if (!cursor) return seen;
    await between?.();
  }
  assert.fail(`${path} never ended`);
}

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const scot = serverFor(backend, { config: { listCountBound: BOUND } });

    /** Twelve alertgroups tagged `tag`, with owners, statuses and (for some) no occurred time: ties and nulls to sort. */
    async function corpus(tag: string, client: Client = scot().admin): Promise<number[]> {
      const made: number[] = [];
      for (let i = 0; i < 12; i++) {
        const { id } = await postAlertgroup(client, {
          subject: `Corpus ${tag} ${i % 4}`,
          tag: [tag, ...(i % 3 === 0 ? ['third'] : [])],
          source: [i % 2 === 0 ? 'edr' : 'ids'],
          owner: ['alice', 'bob', 'carol'][i % 3],
          ...(i % 4 === 0 ? {} : { occurred: 1_700_000_000 + (i % 5) * 60 }),
        });
        if (i % 3 === 1) expectStatus(await client.put(`/alertgroup/${id}`, { status: 'closed' }), 200);
        made.push(id);
      }
      return made;
    }

    it('counts exactly up to the bound, then answers an estimate that says so', async () => {
      const made = await corpus('counted');
      const few = expectStatus(await scot().admin.get('/alertgroup?tag=counted&tag=third&limit=2'), 200);
      assert.deepEqual([few.totalRecordCount, few.totalRecordCountExact], [4, true]);
      const many = expectStatus(await scot().admin.get('/alertgroup?tag=counted&limit=2'), 200);
      assert.equal(many.totalRecordCountExact, false);
      assert.ok(Number.isInteger(many.totalRecordCount) && many.totalRecordCount > BOUND, `${many.totalRecordCount}`);
      assert.equal(many.queryRecordCount, 2);
      // The whole list on one page is counted exactly, however long.
      const all = expectStatus(await scot().admin.get('/alertgroup?tag=counted'), 200);
      assert.deepEqual([all.totalRecordCount, all.totalRecordCountExact, all.nextCursor], [made.length, true, null]);
    });

    it('counts every alertgroup exactly for the admin, above the bound, where the database keeps live counts', async () => {
      await corpus('live');
      const all = ids(expectStatus(await scot().admin.get('/alertgroup?limit=1000'), 200));
      const page = expectStatus(await scot().admin.get('/alertgroup?limit=2'), 200);
      if (backend.name === 'postgres') assert.deepEqual([page.totalRecordCount, page.totalRecordCountExact], [all.length, true]);
      else assert.equal(page.totalRecordCountExact, false);
      const deep = expectStatus(await scot().admin.get(`/alertgroup?offset=${all.length - 3}&limit=5`), 200);
      assert.deepEqual([ids(deep), deep.totalRecordCount], [all.slice(-3), all.length]);
      // A user's list holds only what their groups may read: counted up to the bound, as every filtered list is.
      const user = await scot().user('live-reader', ['ir']);
      assert.equal(expectStatus(await user.get('/alertgroup?limit=2'), 200).totalRecordCountExact, false);
    });

    it('pages through every sort with after=, each row once and in the order of one big page', async () => {
      await corpus('paged');
      const sorts = [
        '-id',
        'id',
        'created',
        '-created',
        'status',
        '-status',
        'owner',
        '-owner',
        'updated',
        'occurred',
        '-occurred',
      ];
      for (const sort of [...sorts, 'status,-occurred', '-owner,occurred,subject']) {
        const path = `/alertgroup?tag=paged&sort=${sort}`;
        const whole = ids(expectStatus(await scot().admin.get(`${path}&limit=100`), 200));
        assert.equal(whole.length, 12);
        assert.deepEqual(await pageThrough(scot().admin, path, 5), whole, `sort=${sort}`);
        const open = ids(expectStatus(await scot().admin.get(`${path}&status=open&limit=100`), 200));
        assert.equal(open.length, 8);
        assert.deepEqual(await pageThrough(scot().admin, `${path}&status=open`, 3), open, `sort=${sort}&status=open`);
      }
    });

    it('answers the filters alone and with a sort as one big page does, under both engines', async () => {
      const made = await corpus('filtered');
      const all = expectStatus(await scot().admin.get('/alertgroup?tag=filtered&limit=100'), 200).records;
      assert.deepEqual(
        all.map((r: { id: number }) => r.id).sort((a: number, b: number) => a - b),
        made,
      );
      const from = Math.min(...all.map((r: { created: number }) => r.created));
      const cases: [string, (r: any) => boolean][] = [
        ['status=open', (r) => r.status === 'open'],
        ['owner=bob', (r) => r.owner === 'bob'],
        ['source=edr', (r) => r.source.includes('edr')],
        ['tag=third', (r) => r.tag.includes('third')],
        ['tag=!third', (r) => !r.tag.includes('third')],
        [`created=${from},`, (r) => r.created >= from],
      ];
      for (const [filter, keep] of cases) {
        for (const [sort, compare] of [
          ['-id', (a: any, b: any) => b.id - a.id],
          ['-created', (a: any, b: any) => b.created - a.created || b.id - a.id],
          ['owner', (a: any, b: any) => a.owner.localeCompare(b.owner) || a.id - b.id],
        ] as const) {
          const expected = all
            .filter(keep)
            .sort(compare)
            .map((r: { id: number }) => r.id);
          const listed = ids(
            expectStatus(await scot().admin.get(`/alertgroup?tag=filtered&${filter}&sort=${sort}&limit=100`), 200),
          );
          assert.deepEqual(listed, expected, `${filter}&sort=${sort}`);
          assert.deepEqual(await pageThrough(scot().admin, `/alertgroup?tag=filtered&${filter}&sort=${sort}`, 2), expected);
        }
      }
    });

    it('keeps pages free of duplicates and gaps while alertgroups arrive', async () => {
      const made = await corpus('arriving');
      for (const sort of ['-id', 'created', '-created']) {
        const path = `/alertgroup?tag=arriving&sort=${sort}`;
        const before = ids(expectStatus(await scot().admin.get(`${path}&limit=1000`), 200));
        const arriving: Promise<{ id: number }>[] = [];
        const seen = await pageThrough(scot().admin, path, 3, async () => {
          // Posted while the next page is asked, not in turn with it.
          arriving.push(
            postAlertgroup(scot().admin, { subject: 'late', tag: ['arriving'] }),
            postAlertgroup(scot().admin, { subject: 'late', tag: ['arriving'] }),
          );
        });
        const late = (await Promise.all(arriving)).map((a) => a.id);
        assert.equal(new Set(seen).size, seen.length, `sort=${sort}: a row came twice`);
        for (const id of before) assert.ok(seen.includes(id), `sort=${sort}: ${id} was skipped`);
        assert.ok(seen.every((id) => before.includes(id) || late.includes(id)));
        // In the order of the list as it is now, the rows seen are a prefix-respecting subsequence: no row moved back.
        const now = ids(expectStatus(await scot().admin.get(`${path}&limit=1000`), 200));
        assert.deepEqual(
          now.filter((id) => seen.includes(id)),
          seen,
          `sort=${sort}`,
        );
      }
      assert.ok(made.length > 0);
    });

    it('refuses a cursor that is not one, or belongs to another list, naming after', async () => {
      await corpus('cursor');
      const first = expectStatus(await scot().admin.get('/alertgroup?tag=cursor&sort=-created&limit=2'), 200);
      assert.equal(typeof first.nextCursor, 'string');
      const good = first.nextCursor as string;
      const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const key = JSON.parse(Buffer.from(good, 'base64url').toString()).k;
      for (const bad of [
        'x',
        '%7B',
        forged([1]),
        forged({ k: key, v: ['a', 1] }),
        forged({ k: key, v: [1] }),
        forged({ k: key, v: [null, 2] }),
      ]) {
        expectError(await scot().admin.get(`/alertgroup?tag=cursor&sort=-created&after=${bad}`), 400, 'after');
      }
      expectError(await scot().admin.get(`/alertgroup?tag=cursor&sort=created&after=${good}`), 400, 'after');
      expectError(await scot().admin.get(`/alertgroup?tag=cursor&status=open&sort=-created&after=${good}`), 400, 'after');
      expectError(await scot().admin.get(`/alert?sort=-created&after=${good}`), 400, 'after');
      expectError(await scot().admin.get(`/alertgroup?tag=cursor&sort=-created&after=${good}&offset=2`), 400, 'offset');
      expectStatus(await scot().admin.get(`/alertgroup?tag=cursor&sort=-created&after=${good}`), 200);
    });

    it('pages sub-collections with a cursor bound to their parent', async () => {
      const rows = Array.from({ length: 7 }, (_, i) => ({ n: String(i) }));
      const group = await postAlertgroup(scot().admin, { data: rows });
      const other = await postAlertgroup(scot().admin, { data: rows });
      const seen = await pageThrough(scot().admin, `/alertgroup/${group.id}/alert?sort=id`, 3);
      assert.deepEqual(seen, group.alerts);
      const first = expectStatus(await scot().admin.get(`/alertgroup/${group.id}/alert?limit=3`), 200);
      expectError(await scot().admin.get(`/alertgroup/${other.id}/alert?after=${first.nextCursor}`), 400, 'after');
    });

    it('tells a user neither the count nor the rows of alertgroups outside their read groups, through a cursor either', async () => {
      const red = await scot().user('lister-red', ['red']);
      const blue = await scot().user('lister-blue', ['blue']);
      const groups = { read: ['red'], modify: ['red'] };
      for (let i = 0; i < 8; i++) await postAlertgroup(red, { tag: ['secret-list'], groups });
      const own = await postAlertgroup(blue, { tag: ['secret-list'], groups: { read: ['blue'], modify: ['blue'] } });
      const seen = expectStatus(await blue.get('/alertgroup?tag=secret-list&limit=1'), 200);
      assert.deepEqual([ids(seen), seen.totalRecordCount, seen.totalRecordCountExact], [[own.id], 1, true]);
      // A cursor red was given, replayed by blue, answers only what blue may read.
      const redPage = expectStatus(await red.get('/alertgroup?tag=secret-list&limit=2'), 200);
      assert.equal(redPage.totalRecordCountExact, false);
      const replayed = expectStatus(await blue.get(`/alertgroup?tag=secret-list&limit=2&after=${redPage.nextCursor}`), 200);
      assert.ok(ids(replayed).every((id) => id === own.id));
      assert.equal(replayed.totalRecordCount, 1);
    });
  });
}
