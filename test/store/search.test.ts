import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { addEntry } from '../../src/app/entry.js';
import { changeLabel } from '../../src/app/label.js';
import { createCase, deleteObject, updateObject } from '../../src/app/object.js';
import { reindexSearch, searchIndexer, searchObjects, searchStatus } from '../../src/app/search.js';
import { AppError } from '../../src/domain/error.js';
import { CursorReader, type ChangeConsumer } from '../../src/jobs/consumer.js';
import { backends } from '../helpers/backend.js';
import { catchUp, found, itFindsEach } from '../helpers/search.js';
import { ADMIN, as, T0, useFixture } from '../helpers/store.js';

const alice = as('alice', ['ir']);
const helen = as('helen', ['hr']);
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);
    const k: Record<string, string> = {};
    let eventId = 0;

    before(async () => {
      const { app, clock } = fixture();
      clock.now = Date.UTC(2026, 0, 10) / 1000;
      const group = await ingestAlertgroup(app, alice, {
        subject: 'Phishing wave from evil.example.com',
        data: [
          { src: '10.1.2.3', hash: SHA256, note: 'beacon to evil[.]example[.]com' },
          { src: '10.1.2.30', note: 'quiet host' },
        ],
        tag: ['phishing'],
        groups: { read: ['ir'], modify: ['ir'] },
      });
      k.group = `alertgroup:${group.id}`;
      k.alert1 = `alert:${group.alerts[0]}`;
      k.alert2 = `alert:${group.alerts[1]}`;
      clock.now = Date.UTC(2026, 1, 20) / 1000;
      const event = await createCase(app, alice, 'event', {
        subject: 'Ransomware outbreak',
        groups: { read: ['ir'], modify: ['ir'] },
      });
      eventId = Number(event.id);
      k.event = `event:${eventId}`;
      const summary = await addEntry(app, alice, {
        target_type: 'event',
        target_id: eventId,
        class: 'summary',
        body: '<p>Encrypted files on <b>host-7</b>; first seen 10.1.2.3</p>',
      });
      k.summary = `entry:${summary.id}`;
      const note = await addEntry(app, alice, {
        target_type: 'event',
        target_id: eventId,
        body: '<p>Analyst notes: the quick brown fox jumps over ransomware</p>',
      });
      k.entry = `entry:${note.id}`;
      const incident = await createCase(app, helen, 'incident', {
        subject: 'Secret payroll phishing',
        groups: { read: ['hr'], modify: ['hr'] },
      });
      k.incident = `incident:${incident.id}`;
      clock.now = T0;
      await catchUp(app);
    });

    const cases: [string, string, string[]][] = [
      ['a word, in subjects and text alike', 'phishing', ['group', 'incident']],
      ['an exact phrase', '"quick brown fox"', ['entry']],
      ['a phrase only in its order', '"brown quick fox"', []],
      ['a prefix', 'ransom*', ['event', 'entry']],
      ['an excluded word', 'phishing -payroll', ['group']],
      ['an IP exactly, not one it begins', '10.1.2.3', ['alert1', 'event', 'summary']],
      ['an IP prefix', '10.1.2.*', ['alert1', 'alert2', 'event', 'summary']],
      ['a domain in a subject and defanged in a cell', 'evil.example.com', ['group', 'alert1']],
      ['a defanged domain', 'evil[.]example[.]com', ['group', 'alert1']],
      ['a SHA-256', SHA256.toUpperCase(), ['alert1']],
      ['a type', 'type:alert 10.1.2.3', ['alert1']],
      ['a tag', 'tag:phishing', ['group']],
      ['a status and owner', 'status:open owner:alice type:event', ['event']],
      ['a subject word', 'subject:phishing', ['group', 'incident']],
      ['a subject word not in the text', 'subject:quiet', []],
      ['a date range', 'created:2026-01-01..2026-01-31 10.1.2.3', ['alert1']],
      ['a day', 'created:2026-02-20 type:event', ['event']],
    ];
    itFindsEach(() => fixture().app, k, cases);

    it('a user never sees a hit, a snippet or a count of what their groups cannot read', async () => {
      const { app } = fixture();
      assert.deepEqual(await found(app, alice, 'phishing'), [k.group]);
      const payroll = await searchObjects(app, alice, { q: 'payroll' });
      assert.deepEqual(payroll, { records: [], queryRecordCount: 0, totalRecordCount: 0 });
      const paged = await searchObjects(app, alice, { q: 'phishing', limit: '1', offset: '1' });
      assert.equal(paged.totalRecordCount, 1);
      assert.deepEqual(await found(app, helen, 'phishing'), [k.incident]);
    });

    it('any query either answers or is refused with a 400 naming q, never an engine error', async () => {
      const { app } = fixture();
      const pieces = [
        'a',
        'Z',
        'é',
        '日本',
        '1',
        '.',
        '-',
        '"',
        '*',
        ':',
        'tag:',
        'type:',
        'subject:',
        'created:',
        '..',
        '[.]',
        '(',
        "'",
        '\\',
        '%',
        '_',
        '&',
        '!',
        '|',
        '<->',
        ' ',
        ' ',
        'NOT',
        'OR',
        'hxxp://',
        '@',
      ];
      let seed = 7;
      const next = () => (seed = (seed * 48_271) % 2_147_483_647);
      for (let i = 0; i < 300; i++) {
        const q = Array.from({ length: 1 + (next() % 12) }, () => pieces[next() % pieces.length]).join('');
        try {
          await searchObjects(app, alice, { q });
        } catch (err) {
          assert.ok(
            err instanceof AppError && err.statusCode === 400 && err.field === 'q',
            `${JSON.stringify(q)}: ${String(err)}`,
          );
        }
      }
    });

    it('a hit carries a snippet, its highlight, a score and where it opens', async () => {
      const { app } = fixture();
      const [entry] = (await searchObjects(app, alice, { q: '"quick brown fox"' })).records;
      assert.equal(entry.snippet, 'Analyst notes: the quick brown fox jumps over ransomware');
      assert.equal(entry.highlight, 'Analyst notes: the <mark>quick brown fox</mark> jumps over ransomware');
      assert.deepEqual(entry.target, { type: 'event', id: eventId });
      assert.ok(Number(entry.score) > 0);
      const [alert] = (await searchObjects(app, alice, { q: SHA256 })).records;
      assert.deepEqual(alert.target, { type: 'alertgroup', id: Number(k.group.split(':')[1]) });
    });

    it('a word in the subject ranks above the same word in text', async () => {
      const { records } = await searchObjects(fixture().app, alice, { q: 'ransomware' });
      assert.deepEqual(
        records.map((r) => `${r.type}:${r.id}`),
        [k.event, k.entry],
      );
    });

    it('a renamed tag finds its objects under the new name once the consumer has seen the rename', async () => {
      const { app } = fixture();
      const tag = await app.store.db.selectFrom('tag').select('id').where('name', '=', 'phishing').executeTakeFirstOrThrow();
      await changeLabel(app, ADMIN, 'tag', tag.id, { name: 'spearphish' });
      await catchUp(app);
      assert.deepEqual(await found(app, alice, 'tag:spearphish'), [k.group]);
      assert.deepEqual(await found(app, alice, 'tag:phishing'), []);
      await changeLabel(app, ADMIN, 'tag', tag.id, { name: 'phishing' });
      await catchUp(app);
      assert.deepEqual(await found(app, alice, 'tag:phishing'), [k.group]);
    });

    it('a deleted object leaves the index once the consumer has seen the change', async () => {
      const { app } = fixture();
      const doomed = await createCase(app, alice, 'event', { subject: 'Doomed zeppelin' });
      await catchUp(app);
      assert.deepEqual(await found(app, alice, 'zeppelin'), [`event:${doomed.id}`]);
      await deleteObject(app, alice, 'event', Number(doomed.id));
      await catchUp(app);
      assert.deepEqual(await found(app, alice, 'zeppelin'), []);
    });

    it('a batch that dies before its commit leaves the index and cursor as they were; the next run indexes each object once', async () => {
      const { app, clock } = fixture();
      const before = await searchStatus(app, ADMIN);
      const made = await createCase(app, alice, 'event', { subject: 'Crashing walrus' });
      const dying: ChangeConsumer = {
        ...searchIndexer,
        async handle(unit, changes, prepared) {
          await searchIndexer.handle(unit, changes, prepared);
          throw new Error('kill -9');
        },
      };
      await assert.rejects(new CursorReader(app, dying).step(), /kill -9/);
      assert.deepEqual(await found(app, alice, 'walrus'), []);
      assert.equal((await searchStatus(app, ADMIN)).seq, before.seq);
      // The dead process's lease runs out; another takes the cursor where it stands.
      clock.now += 60;
      await catchUp(app);
      assert.deepEqual(await found(app, alice, 'walrus'), [`event:${made.id}`]);
      const status = await searchStatus(app, ADMIN);
      assert.equal(status.lag, 0);
      assert.equal(status.documents, before.documents + 1);
    });

    it('an object changed after its batch was read is found by what it says now once the consumer has caught up', async () => {
      const { app } = fixture();
      const made = await createCase(app, alice, 'event', { subject: 'Prepared penguin' });
      let renamed = false;
      // The rename commits between the batch's reading and its transaction, as a request may.
      const racing: ChangeConsumer = {
        ...searchIndexer,
        async prepare(a, changes) {
          const prepared = await searchIndexer.prepare!(a, changes);
          if (!renamed) {
            renamed = true;
            await updateObject(app, alice, 'event', made.id, { subject: 'Renamed puffin' });
          }
          return prepared;
        },
      };
      await catchUp(app, racing);
      assert.ok(renamed);
      assert.deepEqual(await found(app, alice, 'puffin'), [`event:${made.id}`]);
      assert.deepEqual(await found(app, alice, 'penguin'), []);
    });

    it('a reindex rebuilds the same index from the primary tables and the consumer catches up after it', async () => {
      const { app } = fixture();
      const beforeHits = await found(app, ADMIN, '10.1.2.*');
      const { documents: before } = await searchStatus(app, ADMIN);
      const progress: [number, number][] = [];
      const { documents } = await reindexSearch(app, ADMIN, (done, total) => {
        progress.push([done, total]);
      });
      assert.equal(documents, before);
      assert.deepEqual(progress.at(-1), [documents, documents]);
      assert.deepEqual(await found(app, ADMIN, '10.1.2.*'), beforeHits);
      await catchUp(app);
      assert.equal((await searchStatus(app, ADMIN)).documents, before);
    });

    it('an object written while a reindex runs is found once the consumer has caught up after the swap', async () => {
      const { app } = fixture();
      let written = 0;
      await reindexSearch(app, ADMIN, async () => {
        if (written === 0) written = Number((await createCase(app, alice, 'event', { subject: 'Midflight narwhal' })).id);
      });
      await catchUp(app);
      assert.deepEqual(await found(app, alice, 'narwhal'), [`event:${written}`]);
      const status = await searchStatus(app, ADMIN);
      assert.equal(status.lag, 0);
    });
  });
}
