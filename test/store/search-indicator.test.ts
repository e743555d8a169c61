import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { setEntityTracking } from '../../src/app/entity.js';
import { addEntry } from '../../src/app/entry.js';
import { createCase } from '../../src/app/object.js';
import { reindexSearch, searchObjects, searchStatus } from '../../src/app/search.js';
import { AppError } from '../../src/domain/error.js';
import { backends } from '../helpers/backend.js';
import { catchUp, flairConsumer, found, itFindsEach } from '../helpers/search.js';
import { ADMIN, as, useFixture } from '../helpers/store.js';

const alice = as('alice', ['ir']);
const helen = as('helen', ['hr']);

for (const backend of await backends()) {
  describe(`${backend.name}: entities and parts of indicators`, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);
    const k: Record<string, string> = {};
    let eventId = 0;

    /** The `entity:id` key of the entity holding `value`. */
    const entityKey = async (value: string) => {
      const row = await fixture()
        .app.store.db.selectFrom('entity')
        .select('id')
        .where('value', '=', value)
        .executeTakeFirstOrThrow();
      return `entity:${row.id}`;
    };

    /** Alice's entry on the event, once flair and the search index have seen it; its `entry:id` key. */
    const noteOn = async (body: string) => {
      const { app } = fixture();
      const entry = await addEntry(app, alice, { target_type: 'event', target_id: eventId, body });
      await catchUp(app, flairConsumer);
      await catchUp(app);
      return `entry:${entry.id}`;
    };

    before(async () => {
      const { app } = fixture();
      const ir = await ingestAlertgroup(app, alice, {
        subject: 'Proxy alerts',
        data: [{ dst: 'login.evil-example.com', src: '198.51.100.23', file: 'invoice_final.docx' }],
        groups: { read: ['ir'], modify: ['ir'] },
      });
      k.irAlert = `alert:${ir.alerts[0]}`;
      const hr = await ingestAlertgroup(app, helen, {
        subject: 'Payroll alerts',
        data: [{ dst: 'payroll.evil-example.com', src: '198.51.100.99' }],
        groups: { read: ['hr'], modify: ['hr'] },
      });
      k.hrAlert = `alert:${hr.alerts[0]}`;
      const event = await createCase(app, alice, 'event', {
        subject: 'Credential phishing',
        groups: { read: ['ir'], modify: ['ir'] },
      });
      eventId = Number(event.id);
      k.entry = await noteOn('<p>blocked login.evil-example.com at the proxy</p>');
      for (const value of [
        'login.evil-example.com',
        '198.51.100.23',
        'invoice_final.docx',
        'payroll.evil-example.com',
        '198.51.100.99',
      ])
        k[value] = await entityKey(value);
    });

    it('an entity is a hit of its own, opening on itself, beside the objects it appears in', async () => {
      const { app } = fixture();
      assert.deepEqual(
        await found(app, alice, 'login.evil-example.com'),
        [k['login.evil-example.com'], k.irAlert, k.entry].sort(),
      );
      const { records } = await searchObjects(app, alice, { q: 'type:entity 198.51.100.23' });
      const id = Number(k['198.51.100.23'].split(':')[1]);
      assert.deepEqual(records, [
        {
          type: 'entity',
          id,
          score: records[0].score,
          snippet: '198.51.100.23',
          highlight: '<mark>198.51.100.23</mark>',
          target: { type: 'entity', id },
        },
      ]);
    });

    it('a user finds an entity only while it appears in something their groups read', async () => {
      const { app } = fixture();
      assert.deepEqual(await found(app, alice, 'payroll.evil-example.com'), []);
      assert.deepEqual(await found(app, helen, 'payroll.evil-example.com'), [k['payroll.evil-example.com'], k.hrAlert].sort());
      assert.equal((await searchObjects(app, alice, { q: 'type:entity' })).totalRecordCount, 3);
      // Written where alice reads it, the entity becomes hers to find; helen's alert stays hidden.
      k.note = await noteOn('also payroll.evil-example.com');
      assert.deepEqual(await found(app, alice, 'payroll.evil-example.com'), [k['payroll.evil-example.com'], k.note].sort());
    });

    const patterns: [string, string, string[]][] = [
      [
        'a domain by its parent',
        '*.evil-example.com',
        ['login.evil-example.com', 'payroll.evil-example.com', 'irAlert', 'hrAlert', 'entry', 'note'],
      ],
      [
        'a defanged parent',
        '*[.]evil-example[.]com',
        ['login.evil-example.com', 'payroll.evil-example.com', 'irAlert', 'hrAlert', 'entry', 'note'],
      ],
      ['part of an IP', '*51.100.2*', ['198.51.100.23', 'irAlert']],
      ['a star inside', 'login*.com', ['login.evil-example.com', 'irAlert', 'entry']],
      ['an underscore as itself', '*voice_fin*', ['invoice_final.docx', 'irAlert']],
      ['an underscore that is no wildcard', '*voice_xfin*', []],
      ['a pattern and a type', 'type:alert *.evil-example.com', ['irAlert', 'hrAlert']],
      ['an excluded pattern', 'type:alert -*payroll*', ['irAlert']],
      ['an excluded pattern that fits nothing', 'type:alert -*nowhere-at-all*', ['irAlert', 'hrAlert']],
      ['a pattern only in subjects', 'subject:*evil-example*', ['login.evil-example.com', 'payroll.evil-example.com']],
      ['a pattern that fits no indicator', '*nowhere-at-all*', []],
      ['a pattern and a word', '*.evil-example.com proxy', ['entry']],
    ];
    itFindsEach(() => fixture().app, k, patterns);

    it('a pattern finds only what the user reads, and highlights each indicator it stands for', async () => {
      const { app } = fixture();
      assert.deepEqual(await found(app, alice, 'type:alert *.evil-example.com'), [k.irAlert]);
      const [entry] = (await searchObjects(app, alice, { q: 'type:entry *.evil-example.com proxy' })).records;
      assert.equal(entry.highlight, 'blocked <mark>login.evil-example.com</mark> at the <mark>proxy</mark>');
    });

    it('an entity status change reaches the index through the search consumer', async () => {
      const { app } = fixture();
      const id = Number(k['198.51.100.23'].split(':')[1]);
      await setEntityTracking(app, alice, id, 'tracked');
      assert.deepEqual(await found(app, alice, 'type:entity status:tracked'), []);
      await catchUp(app);
      assert.deepEqual(await found(app, alice, 'type:entity status:tracked'), [k['198.51.100.23']]);
    });

    it('a reindex holds the entities too', async () => {
      const { app } = fixture();
      const before = await found(app, ADMIN, '*.evil-example.com');
      const { documents } = await reindexSearch(app, ADMIN);
      assert.equal(documents, (await searchStatus(app, ADMIN)).documents);
      assert.deepEqual(await found(app, ADMIN, '*.evil-example.com'), before);
      assert.deepEqual(await found(app, ADMIN, 'type:entity status:tracked'), [k['198.51.100.23']]);
    });

    const refused: [string, string][] = [
      ['fewer than 3 characters in a row', '*ab*'],
      ['only stars', '***'],
      ['two indicators in one pattern', '*evil(x)*'],
      ['a pattern over 200 characters', `*${'a'.repeat(300)}*`],
    ];
    for (const [what, q] of refused) {
      it(`a pattern with ${what} gets 400 naming q: ${q.slice(0, 20)}`, async () => {
        await assert.rejects(
          searchObjects(fixture().app, alice, { q }),
          (err) => err instanceof AppError && err.statusCode === 400 && err.field === 'q',
        );
      });
    }
  });
}
