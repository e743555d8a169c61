import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { searchIndexer } from '../../src/app/search.js';
import { CursorReader } from '../../src/jobs/consumer.js';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, postAlertgroup, postEntry, postEvent, serverFor } from '../helpers/e2e.js';
import type { TestServer } from '../helpers/server.js';

/** Runs the search consumer until the index has every change; bounded. */
async function indexed(server: TestServer): Promise<void> {
  const reader = new CursorReader(server.app, searchIndexer);
  for (let i = 0; i < 100; i++) if ((await reader.step()) === 0) return reader.release();
  assert.fail('the search index never caught up');
}

const q = (text: string) => encodeURIComponent(text);

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    it('GET /search answers ranked hits in the list envelope, each with its snippet and where it opens', async () => {
      const alice = await scot().user('alice', ['ir']);
      const group = await postAlertgroup(alice, {
        subject: 'Beacon to evil.example.com',
        data: [{ host: 'ws-12', dst: '203.0.113.9' }],
        groups: { read: ['ir'], modify: ['ir'] },
      });
      const event = await postEvent(alice, { subject: 'Beacon investigation', groups: { read: ['ir'], modify: ['ir'] } });
      const entry = await postEntry(alice, 'event', event.id, { body: '<p>blocked 203.0.113.9 at the <i>proxy</i></p>' });
      await indexed(scot());

      const ip = expectStatus(await alice.get(`/search?q=${q('203.0.113.9')}`), 200);
      assert.equal(ip.totalRecordCount, 2);
      const byType = Object.fromEntries(ip.records.map((r: any) => [r.type, r]));
      assert.deepEqual(byType.alert.target, { type: 'alertgroup', id: group.id });
      assert.equal(byType.alert.id, group.alerts[0]);
      assert.deepEqual(byType.entry, {
        type: 'entry',
        id: entry.id,
        score: byType.entry.score,
        snippet: 'blocked 203.0.113.9 at the proxy',
        highlight: 'blocked <mark>203.0.113.9</mark> at the proxy',
        target: { type: 'event', id: event.id },
      });
      const onAlert = await postEntry(alice, 'alert', group.alerts[0], { body: 'ws-12 quarantined' });
      await indexed(scot());
      const quarantined = expectStatus(await alice.get('/search?q=quarantined'), 200).records;
      assert.deepEqual(
        quarantined.map((r: any) => [r.id, r.target]),
        [[onAlert.id, { type: 'alertgroup', id: group.id }]],
      );
      const beacon = expectStatus(await alice.get(`/search?q=beacon&limit=1`), 200);
      assert.equal(beacon.records.length, 1);
      assert.equal(beacon.totalRecordCount, 2);
    });

    it('GET /esearch?qstring= answers SCOT 3 clients the same as /search', async () => {
      const alice = await scot().user('alice3', ['ir']);
      const asked = expectStatus(await alice.get(`/search?q=${q('evil[.]example[.]com')}`), 200);
      assert.deepEqual(expectStatus(await alice.get(`/esearch?qstring=${q('evil[.]example[.]com')}`), 200), asked);
      assert.equal(asked.records.length, 1);
    });

    it('a user finds nothing, and counts nothing, outside their read groups', async () => {
      const hr = await scot().user('helen', ['hr']);
      await postEvent(hr, { subject: 'Payroll beacon', groups: { read: ['hr'], modify: ['hr'] } });
      await indexed(scot());
      const outsider = await scot().user('olga', ['sales']);
      assert.deepEqual(expectStatus(await outsider.get('/search?q=beacon'), 200), {
        records: [],
        queryRecordCount: 0,
        totalRecordCount: 0,
      });
      assert.equal(expectStatus(await hr.get('/search?q=beacon'), 200).totalRecordCount, 1);
      expectError(await scot().anonymous.get('/search?q=beacon'), 401);
    });

    const hostile: [string, string, string][] = [
      ['no query', '/search', 'q'],
      ['unbalanced quotes', `/search?q=${q('"evil')}`, 'q'],
      ['a lone -', '/search?q=-', 'q'],
      ['100 terms', `/search?q=${q('word '.repeat(100))}`, 'q'],
      ['the query given twice', '/search?q=a&q=b', 'q'],
      ['a limit out of range', '/search?q=a&limit=100000', 'limit'],
      ['a bad qstring', `/esearch?qstring=${q('type:banana')}`, 'qstring'],
      ['a pattern of fewer than 3 characters in a row', `/search?q=${q('*ab*')}`, 'q'],
      ['a pattern of two indicators', `/esearch?qstring=${q('*evil(x).com*')}`, 'qstring'],
    ];
    for (const [what, path, field] of hostile) {
      it(`a search with ${what} gets 400 naming ${field}`, async () => {
        expectError(await scot().admin.get(path), 400, field);
      });
    }

    it('a query of 10,000 terms or 1 MB, longer than a URL may be, gets 400 with a message, never a 5xx', async () => {
      assert.match(expectError(await scot().admin.get(`/search?q=${q('word '.repeat(10_000))}`), 400).error, /exceed 16 KB/);
      assert.match(expectError(await scot().admin.get(`/search?q=${'x'.repeat(1 << 20)}`), 400).error, /exceed 16 KB/);
    });
  });
}
