import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { addEntry } from '../../src/app/entry.js';
import type { RawQuery } from '../../src/app/list.js';
import { createCase, deleteObject, listObjects, updateObject, type CaseInput } from '../../src/app/object.js';
import type { Principal } from '../../src/domain/principal.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, as, rejectsWith, T0, unitFor, useFixture } from '../helpers/store.js';

const ir = as('irene', ['ir']);
const hr = as('harry', ['hr']);
const auditor = as('audrey', ['auditors']);
const responder = as('ralph', ['responders']);
const nobody = as('nobody', []);

/** Seeded events, by name, with the created time each gets. */
const EVENTS: Record<string, CaseInput & { at: number }> = {
  wave100: { at: T0, subject: 'Phishing wave 100% confirmed', owner: 'alice', tag: ['phish'], source: ['email'] },
  wave: {
    at: T0 + 100,
    subject: 'Phishing wave 100 percent',
    owner: 'bob',
    tag: ['phish', 'urgent'],
    source: ['ids'],
    status: 'closed',
  },
  underscore: { at: T0 + 200, subject: 'file_name.exe dropped', owner: 'alice', tag: ['malware'], source: ['edr'] },
  lookalike: { at: T0 + 300, subject: 'filexname.exe dropped', owner: 'carol' },
  hr: { at: T0 + 400, subject: 'HR matter', owner: 'dave', tag: ['phish'], groups: { read: ['hr'], modify: ['hr'] } },
  split: { at: T0 + 500, subject: 'Split groups ünïcödé', owner: 'erin', groups: { read: ['auditors'], modify: ['responders'] } },
};
const BULK = 25;

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);
    const ids: Record<string, number> = {};
    let bulk: number[] = [];

    before(async () => {
      const { app, clock } = fixture();
      for (const [name, { at, ...input }] of Object.entries(EVENTS)) {
        clock.now = at;
        ids[name] = (await createCase(app, ADMIN, 'event', input)).id as number;
      }
      bulk = [];
      for (let i = 0; i < BULK; i++) {
        // Created times run backwards, so created order is the reverse of id order.
        clock.now = T0 + 10_000 - i;
        bulk.push(
          (await createCase(app, ADMIN, 'event', { subject: `bulk ${String(i).padStart(2, '0')}`, owner: 'bulk' })).id as number,
        );
      }
      clock.now = T0;
    });

    const list = <T extends 'event' | 'alert' | 'entry' | 'alertgroup' = 'event'>(
      who: Principal,
      q: RawQuery,
      type = 'event' as T,
    ) => listObjects(unitFor(fixture().app, who), type, q);
    const idsOf = async (who: Principal, q: RawQuery) => (await list(who, q)).records.map((r) => r.id);
    const named = (...names: string[]) => names.map((n) => ids[n]);
    /** The seeded events (not the bulk ones) that match, in id order. */
    const seeded = async (who: Principal, q: RawQuery) => {
      const found = await idsOf(who, { ...q, sort: 'id', limit: '1000' });
      return found.filter((id) => Object.values(ids).includes(id as number));
    };

    describe('paging and sorting', () => {
      it('pages through a filtered list with the total on every page', async () => {
        const seen: unknown[] = [];
        for (const offset of [0, 10, 20]) {
          const page = await list(ADMIN, { owner: 'bulk', limit: '10', offset: String(offset) });
          assert.equal(page.totalRecordCount, BULK);
          assert.equal(page.queryRecordCount, offset === 20 ? 5 : 10);
          seen.push(...page.records.map((r) => r.id));
        }
        assert.deepEqual(seen, [...bulk].reverse(), 'newest id first by default, no row twice');
        const past = await list(ADMIN, { owner: 'bulk', limit: '10', offset: '100' });
        assert.deepEqual([past.queryRecordCount, past.totalRecordCount], [0, BULK]);
      });

      it('pages by offset in any sort as one long page would, for an analyst as for the admin', async () => {
        for (const who of [ADMIN, ir]) {
          for (const sort of ['-id', 'subject', '-created', 'owner,-id', 'promotion_id', '-promotion_id']) {
            const whole = await idsOf(who, { sort, limit: '1000' });
            const paged: unknown[] = [];
            for (let offset = 0; offset < whole.length + 7; offset += 7)
              paged.push(...(await idsOf(who, { sort, limit: '7', offset: String(offset) })));
            assert.deepEqual(paged, whole, `${who.username}, sort ${sort}`);
          }
        }
      });

      it('reads a page past the middle as the same page read forward: the last page, one past the end and beyond', async () => {
        const { app } = fixture();
        // Deleted events are passed over whichever end a page is read from.
        for (let i = 0; i < 3; i++)
          await deleteObject(app, ADMIN, 'event', (await createCase(app, ADMIN, 'event', { subject: `gone ${i}` })).id as number);
        for (const sort of ['-id', 'id']) {
          const whole = await idsOf(ADMIN, { sort, limit: '1000' });
          const n = whole.length;
          for (const offset of [Math.ceil(n / 2), n - 10, n - 7, n - 3, n - 1, n, n + 5]) {
            const page = await list(ADMIN, { sort, limit: '7', offset: String(offset) });
            assert.deepEqual(
              page.records.map((r) => r.id),
              whole.slice(offset, offset + 7),
              `sort=${sort}&offset=${offset}`,
            );
            assert.deepEqual([page.totalRecordCount, page.totalRecordCountExact], [n, true]);
          }
        }
      });

      it('sorts by the fields asked, in both directions and the JSON form', async () => {
        assert.deepEqual(await idsOf(ADMIN, { owner: 'bulk', sort: 'created', limit: '100' }), [...bulk].reverse());
        assert.deepEqual(await idsOf(ADMIN, { owner: 'bulk', sort: '-created', limit: '100' }), bulk);
        assert.deepEqual(await idsOf(ADMIN, { owner: 'bulk', sort: '{"created":-1}', limit: '100' }), bulk);
        assert.deepEqual(await idsOf(ADMIN, { owner: 'bulk', sort: 'subject', limit: '3' }), bulk.slice(0, 3));
        assert.deepEqual(await idsOf(ADMIN, { owner: 'bulk', sort: '-subject', limit: '3' }), bulk.slice(-3).reverse());
        const byOwner = (
          await list(ADMIN, { id: named('wave100', 'wave', 'lookalike', 'underscore').join(','), sort: 'owner,-id' })
        ).records;
        assert.deepEqual(
          byOwner.map((r) => r.id),
          named('underscore', 'wave100', 'wave', 'lookalike'),
        );
        await rejectsWith(list(ADMIN, { sort: 'data' }), 400, 'sort');
      });

      it('returns only the columns asked for, with the id', async () => {
        const page = await list(ADMIN, { id: String(ids.wave100), columns: 'subject,tag' });
        assert.deepEqual(page.records, [{ id: ids.wave100, subject: EVENTS.wave100.subject, tag: ['phish'] }]);
      });
    });

    describe('filters', () => {
      it('by status, owner and id list', async () => {
        assert.deepEqual(await seeded(ADMIN, { status: 'closed' }), named('wave'));
        assert.deepEqual(await seeded(ADMIN, { status: 'open,closed', owner: 'alice' }), named('wave100', 'underscore'));
        assert.deepEqual(await seeded(ADMIN, { owner: ['carol', 'dave'] }), named('lookalike', 'hr'));
        assert.deepEqual(await seeded(ADMIN, { id: `${ids.wave},${ids.lookalike}` }), named('wave', 'lookalike'));
        assert.deepEqual(await seeded(ADMIN, { id: JSON.stringify([ids.hr, ids.split]) }), named('hr', 'split'));
        assert.deepEqual(await seeded(ADMIN, { status: 'promoted' }), []);
      });

      it('by tag and source, every name given, none of those written !name', async () => {
        assert.deepEqual(await seeded(ADMIN, { tag: 'phish' }), named('wave100', 'wave', 'hr'));
        assert.deepEqual(await seeded(ADMIN, { tag: 'phish,urgent' }), named('wave'));
        assert.deepEqual(await seeded(ADMIN, { tag: 'urgent,malware' }), []);
        assert.deepEqual(await seeded(ADMIN, { tag: 'phish,!urgent' }), named('wave100', 'hr'));
        assert.deepEqual(await seeded(ADMIN, { tag: '!phish' }), named('underscore', 'lookalike', 'split'));
        assert.deepEqual(await seeded(ADMIN, { tag: 'phish', source: 'ids' }), named('wave'));
        assert.deepEqual(await seeded(ADMIN, { source: '["edr","email"]' }), []);
        assert.deepEqual(await seeded(ADMIN, { source: '["!edr","!email"]' }), named('wave', 'lookalike', 'hr', 'split'));
        assert.deepEqual(await seeded(ADMIN, { tag: 'no-such-tag' }), []);
        await rejectsWith(list(ADMIN, { tag: '' }), 400, 'tag');
      });

      it('by created range, inclusive, either end open', async () => {
        assert.deepEqual(await seeded(ADMIN, { created: `${T0 + 100},${T0 + 200}` }), named('wave', 'underscore'));
        assert.deepEqual(await seeded(ADMIN, { created: `,${T0 + 100}` }), named('wave100', 'wave'));
        assert.deepEqual(await seeded(ADMIN, { created: `${T0 + 400},` }), named('hr', 'split'));
        assert.deepEqual(await seeded(ADMIN, { created: `${T0 + 400}` }), named('hr', 'split'));
        assert.equal((await list(ADMIN, { created: `${T0 + 9_990},${T0 + 10_000}` })).totalRecordCount, 11);
        assert.deepEqual(
          await seeded(ADMIN, { created: ',' }),
          Object.values(ids).sort((x, y) => x - y),
          'both ends open: no restriction',
        );
        await rejectsWith(list(ADMIN, { created: 'yesterday' }), 400, 'created');
      });

      it('by subject substring, case-insensitive, with % and _ taken literally', async () => {
        assert.deepEqual(await seeded(ADMIN, { subject: 'phishing WAVE' }), named('wave100', 'wave'));
        assert.deepEqual(await seeded(ADMIN, { subject: '100%' }), named('wave100'));
        assert.deepEqual(await seeded(ADMIN, { subject: '0% c' }), named('wave100'));
        assert.deepEqual(await seeded(ADMIN, { subject: 'file_name' }), named('underscore'));
        assert.deepEqual(await seeded(ADMIN, { subject: '_' }), named('underscore'));
        assert.deepEqual(await seeded(ADMIN, { subject: '%' }), named('wave100'));
        assert.deepEqual(await seeded(ADMIN, { subject: 'name.exe' }), named('underscore', 'lookalike'));
        assert.deepEqual(await seeded(ADMIN, { subject: 'ünïcödé' }), named('split'));
        assert.deepEqual(await seeded(ADMIN, { subject: '\\' }), []);
      });

      it('refuses unknown fields and bad values, naming the field', async () => {
        await rejectsWith(list(ADMIN, { colour: 'red' }), 400, 'colour');
        await rejectsWith(list(ADMIN, { id: 'one' }), 400, 'id');
        await rejectsWith(list(ADMIN, { limit: '-1' }), 400, 'limit');
      });

      it('lists deleted objects only when asked', async () => {
        const { app, clock } = fixture();
        clock.now = T0 + 20_000;
        const gone = (await createCase(app, ADMIN, 'event', { subject: 'deleted one', owner: 'ghost' })).id;
        await deleteObject(app, ADMIN, 'event', gone as number);
        clock.now = T0;
        assert.equal((await list(ADMIN, { owner: 'ghost' })).totalRecordCount, 0);
        const deleted = await list(ADMIN, { owner: 'ghost', deleted: 'true' });
        assert.deepEqual(
          deleted.records.map((r) => [r.id, r.deleted]),
          [[gone, T0 + 20_000]],
        );
      });
    });

    describe('read groups', () => {
      it('each caller sees what their groups may read, with totals to match', async () => {
        const all = Object.values(ids).sort((a, b) => a - b);
        assert.deepEqual(await seeded(ADMIN, {}), all);
        assert.deepEqual(await seeded(ir, {}), named('wave100', 'wave', 'underscore', 'lookalike'));
        assert.deepEqual(await seeded(hr, {}), named('hr'));
        assert.deepEqual(await seeded(auditor, {}), named('split'), 'read group');
        assert.deepEqual(await seeded(responder, {}), named('split'), 'a modify group may read too');
        assert.deepEqual(await seeded(nobody, {}), []);
        assert.deepEqual(await seeded(as('both', ['hr', 'auditors']), {}), named('hr', 'split'));

        assert.equal((await list(hr, { tag: 'phish' })).totalRecordCount, 1);
        assert.equal((await list(ir, { tag: 'phish' })).totalRecordCount, 2);
        const paged = await list(ir, { limit: '1', sort: 'id' });
        assert.equal(paged.queryRecordCount, 1);
        assert.equal(paged.totalRecordCount, 4 + BULK, 'ir reads its four and the bulk events (default groups)');
        assert.equal((await list(nobody, { limit: '1', offset: '1' })).totalRecordCount, 0);
      });

      it('alerts and entries are filtered by their own groups', async () => {
        const { app } = fixture();
        const restricted = await ingestAlertgroup(app, ADMIN, {
          subject: 'restricted',
          data: [{ a: 1 }, { a: 2 }],
          groups: { read: ['hr'], modify: ['hr'] },
        });
        const open = await ingestAlertgroup(app, ADMIN, { subject: 'open', data: [{ a: 3 }] });
        const forHr = await list(hr, { alertgroup: `${restricted.id},${open.id}` }, 'alert');
        assert.deepEqual(
          forHr.records.map((r) => r.id),
          [...restricted.alerts].reverse(),
        );
        assert.equal(forHr.totalRecordCount, 2);
        const forIr = await list(ir, { alertgroup: `${restricted.id},${open.id}` }, 'alert');
        assert.deepEqual(
          forIr.records.map((r) => r.id),
          open.alerts,
        );
        await updateObject(app, ADMIN, 'alert', open.alerts[0], { status: 'closed' });
        assert.equal((await list(ir, { alertgroup: String(open.id), status: 'closed' }, 'alert')).totalRecordCount, 1);
        assert.equal((await list(ir, { alertgroup: String(open.id), status: 'open' }, 'alert')).totalRecordCount, 0);

        const secret = await addEntry(app, ADMIN, {
          target_type: 'event',
          target_id: ids.wave,
          body: 'only hr',
          groups: { read: ['hr'], modify: ['hr'] },
        });
        const shared = await addEntry(app, ADMIN, { target_type: 'event', target_id: ids.wave, body: 'everyone in ir' });
        const entries = (who: Principal) => list(who, { target_type: 'event', target_id: String(ids.wave), sort: 'id' }, 'entry');
        assert.deepEqual(
          (await entries(ir)).records.map((r) => r.id),
          [shared.id],
        );
        assert.deepEqual(
          (await entries(hr)).records.map((r) => r.id),
          [secret.id],
        );
        assert.deepEqual(
          (await entries(ADMIN)).records.map((r) => r.id),
          [secret.id, shared.id],
        );
      });

      it('alertgroups filter by message_id, counts and subject', async () => {
        const { app } = fixture();
        await ingestAlertgroup(app, ADMIN, {
          subject: 'Splunk: 50% CPU_spike',
          message_id: '<q1@x>',
          data: [{ a: 1 }, { a: 2 }],
        });
        const byMessage = await list(ir, { message_id: '<q1@x>' }, 'alertgroup');
        assert.deepEqual(
          byMessage.records.map((r) => [r.subject, r.alert_count]),
          [['Splunk: 50% CPU_spike', 2]],
        );
        assert.equal((await list(ir, { subject: '50% cpu_', alert_count: '2' }, 'alertgroup')).totalRecordCount, 1);
        assert.equal((await list(ir, { subject: '50% cpu_', open_count: '1' }, 'alertgroup')).totalRecordCount, 0);
      });
    });
  });
}
