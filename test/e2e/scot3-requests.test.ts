import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createApikey } from '../../src/app/auth.js';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, historyOf, idsOf, serverFor, storedForm } from '../helpers/e2e.js';
import { ADMIN_PASSWORD, type Reply } from '../helpers/server.js';
import { ADMIN } from '../helpers/store.js';

/**
 * Requests exactly as SCOT 3's clients send them (its t/api tests, its mail ingester and its
 * ScotClient): their field names, bodies, content types and Authorization headers.
 */

interface Sent {
  /** Bytes, so that fetch adds no content type of its own. */
  body?: string;
  contentType?: string;
  authorization?: string;
}

/** One raw HTTP call: nothing is added that the caller did not ask for. */
async function send(base: string, method: string, path: string, sent: Sent = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (sent.authorization) headers.authorization = sent.authorization;
  if (sent.contentType) headers['content-type'] = sent.contentType;
  const res = await fetch(base + path, { method, headers, body: sent.body === undefined ? undefined : Buffer.from(sent.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body, headers: res.headers };
}

const basic = (username: string, secret: string) => `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;

/** A SCOT 3 client: JSON bodies, the key in SCOT 3's `Authorization: apikey <key>` header. */
function scot3Client(base: string, apikey: string) {
  const json = (method: string) => (path: string, body: unknown) =>
    send(base, method, path, { authorization: `apikey ${apikey}`, contentType: 'application/json', body: JSON.stringify(body) });
  return {
    get: (path: string) => send(base, 'GET', path, { authorization: `apikey ${apikey}` }),
    post: json('POST'),
    put: json('PUT'),
  };
}

let messages = 0;
const messageId = () => `<scot3-${process.pid}-${++messages}@mail.example>`;

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const scot = serverFor(backend);
    let apikey: string;
    let client: ReturnType<typeof scot3Client>;
    before(async () => {
      apikey = (await createApikey(scot().app, ADMIN, 'admin', 'scot3')).key;
      client = scot3Client(scot().base, apikey);
    });

    describe('signing in as SCOT 3 clients do', () => {
      it('POST /apikey with no body from a session creates a key for the caller, answered once as apikey', async () => {
        const session = await scot().login('admin', ADMIN_PASSWORD);
        const created = expectStatus(await session.request('POST', '/apikey'), 201);
        assert.equal(typeof created.apikey, 'string');
        assert.equal(created.username, 'admin');
        assert.equal(expectStatus(await scot3Client(scot().base, created.apikey).get('/whoami'), 200).username, 'admin');
        const listed = expectStatus(await session.get('/apikey'), 200).records;
        assert.ok(
          listed.some((k: { id: number }) => k.id === created.id),
          'the new key is listed',
        );
        assert.ok(
          listed.every((k: Record<string, unknown>) => !('apikey' in k) && !('key' in k)),
          'the key itself is never shown again',
        );
      });

      it('Authorization: apikey <key> identifies the key owner', async () => {
        const me = expectStatus(await client.get('/whoami'), 200);
        assert.equal(me.username, 'admin');
      });

      it('HTTP Basic with a password, with an API key, or with the key alone identifies the user', async () => {
        const byPassword = expectStatus(
          await send(scot().base, 'GET', '/whoami', { authorization: basic('admin', ADMIN_PASSWORD) }),
          200,
        );
        assert.equal(byPassword.username, 'admin');
        const byKey = expectStatus(await send(scot().base, 'GET', '/whoami', { authorization: basic('admin', apikey) }), 200);
        assert.equal(byKey.username, 'admin');
        // ScotClient given an API key: `basic <base64 of the key alone>`.
        const keyAlone = `basic ${Buffer.from(apikey).toString('base64')}`;
        assert.equal(expectStatus(await send(scot().base, 'GET', '/whoami', { authorization: keyAlone }), 200).username, 'admin');
      });

      it('HTTP Basic with a wrong password, or with the key of another user, is refused with 401', async () => {
        const error = expectError(
          await send(scot().base, 'GET', '/whoami', { authorization: basic('admin', 'not-the-password') }),
          401,
        );
        assert.equal(error.error, (error as { error_msg?: string }).error_msg);
        await scot().user('mallory', ['ir'], 'mallory-password');
        expectError(await send(scot().base, 'GET', '/whoami', { authorization: basic('mallory', apikey) }), 401);
        expectError(await send(scot().base, 'GET', '/whoami', { authorization: 'apikey not-a-key' }), 401);
      });
    });

    describe('alertgroups as SCOT 3 detection systems and its mail ingester post them', () => {
      it("takes t/api/alertgroup.t's body (tags, sources) sent with no content type", async () => {
        const body = {
          message_id: messageId(),
          subject: 'test message 1',
          data: [
            { foo: 1, bar: 2 },
            { foo: 3, bar: 4 },
          ],
          tags: ['test', 'testing'],
          sources: ['todd', 'scot'],
          columns: ['foo', 'bar'],
        };
        const created = expectStatus(
          await send(scot().base, 'POST', '/alertgroup', { authorization: `apikey ${apikey}`, body: JSON.stringify(body) }),
          201,
        );
        const group = expectStatus(await client.get(`/alertgroup/${created.id}`), 200);
        assert.equal(group.subject, 'test message 1');
        assert.equal(group.alert_count, 2);
        assert.deepEqual(group.tag, ['test', 'testing']);
        assert.deepEqual(group.source, ['scot', 'todd']);
        const alerts = expectStatus(await client.get(`/alertgroup/${created.id}/alert`), 200);
        assert.equal(alerts.totalRecordCount, 2);
        assert.deepEqual(
          alerts.records.map((a: { alertgroup: number }) => a.alertgroup),
          [created.id, created.id],
        );
        assert.deepEqual(
          alerts.records.map((a: { data: { foo: number } }) => a.data.foo),
          [1, 3],
        );
      });

      it('takes a form-encoded post whose values are JSON, as SCOT 3 read them', async () => {
        const form = new URLSearchParams({
          message_id: messageId(),
          subject: 'form posted',
          data: JSON.stringify([{ host: 'a' }, { host: 'b' }]),
          tag: 'phishing',
          source: JSON.stringify(['splunk']),
        });
        const created = expectStatus(
          await send(scot().base, 'POST', '/alertgroup', {
            authorization: `apikey ${apikey}`,
            contentType: 'application/x-www-form-urlencoded',
            body: form.toString(),
          }),
          201,
        );
        const group = await storedForm(client, 'alertgroup', created.id);
        assert.equal(group.subject, 'form posted');
        assert.equal(group.alert_count, 2);
        assert.deepEqual(group.tag, ['phishing']);
        assert.deepEqual(group.source, ['splunk']);
      });

      it('keeps the mail date sent as created as when the alerts occurred, not as when they were stored', async () => {
        const mailDate = 1_500_000_000;
        const created = expectStatus(
          await client.post('/alertgroup', { message_id: messageId(), subject: 'mail', data: [{ a: 1 }], created: mailDate }),
          201,
        );
        const group = expectStatus(await client.get(`/alertgroup/${created.id}`), 200);
        assert.equal(group.occurred, mailDate);
        assert.notEqual(group.created, mailDate);
        assert.ok(group.created >= scot().app.now() - 60, 'created is when SCOT stored it');
        assert.deepEqual(idsOf(await client.get(`/alertgroup?occurred=${mailDate},${mailDate}`)), [created.id]);
      });

      it("takes what SCOT 3's mail ingester posts: the message, source and sources, column names in each row", async () => {
        const received = 1_500_000_123;
        const posted = {
          subject: 'Generic alert',
          message_id: messageId(),
          body_plain: 'bad stuff from 10.0.0.1',
          body: '<html><body>bad stuff from 10.0.0.1</body></html>',
          data: [{ sender: 'ids@example.com', alert: 'bad stuff from 10.0.0.1', columns: ['sender', 'alert'] }],
          source: ['email', 'generic'],
          sources: ['generic'],
          created: received,
        };
        const created = expectStatus(await client.post('/alertgroup', posted), 201);
        const group = await storedForm(client, 'alertgroup', created.id);
        assert.deepEqual(group.source, ['email', 'generic']);
        assert.deepEqual(group.columns, ['sender', 'alert']);
        assert.equal(group.occurred, received);
        const alert = await storedForm(client, 'alert', created.alerts[0]);
        assert.deepEqual(alert.data, { sender: 'ids@example.com', alert: 'bad stuff from 10.0.0.1' });
        const stored = await scot()
          .app.store.db.selectFrom('alertgroup')
          .select(['body', 'body_plain'])
          .where('id', '=', created.id)
          .executeTakeFirstOrThrow();
        assert.deepEqual(stored, { body: posted.body, body_plain: posted.body_plain }, 'the message is kept as evidence');
      });

      it('POST /alert with an alertgroup and data adds a row; the counts, columns and history follow', async () => {
        const group = expectStatus(
          await client.post('/alertgroup', { subject: 'growing', data: [{ host: 'a' }], tlp: 'green' }),
          201,
        );
        const alert = expectStatus(
          await client.post('/alert', { alertgroup: group.id, data: { host: 'b', port: 22 } }),
          201,
        ).record;
        assert.equal(alert.alertgroup, group.id);
        assert.deepEqual(alert.data, { host: 'b', port: 22 });
        assert.equal(alert.status, 'open');
        assert.equal(alert.tlp, 'green', "the alert takes its alertgroup's marking");
        const after = await storedForm(client, 'alertgroup', group.id);
        assert.deepEqual(
          { alert_count: after.alert_count, open_count: after.open_count, columns: after.columns },
          { alert_count: 2, open_count: 2, columns: ['host', 'port'] },
        );
        assert.deepEqual(idsOf(await client.get(`/alertgroup/${group.id}/alert`)), [...group.alerts, alert.id]);
        const history = await historyOf(client, 'alert', alert.id);
        assert.deepEqual(
          history.map((c) => [c.action, c.diff]),
          [['create', { alertgroup: group.id, data: { host: 'b', port: 22 } }]],
          'the alert was not created with its alertgroup',
        );
        assert.deepEqual((await historyOf(client, 'alertgroup', group.id)).at(-1).diff, {
          alert_count: [1, 2],
          columns: [['host'], ['host', 'port']],
        });
      });

      it("POST /alert with t/api/alert.t's columns adds the new ones to the alertgroup's, after those it has", async () => {
        const group = expectStatus(await client.post('/alertgroup', { subject: 'columns', data: [{ host: 'a' }] }), 201);
        const body = { alertgroup: group.id, columns: ['port', 'host', 'note'], data: { host: 'b', port: 22 } };
        expectStatus(await client.post('/alert', body), 201);
        assert.deepEqual((await storedForm(client, 'alertgroup', group.id)).columns, ['host', 'port', 'note']);
      });

      it('POST /alert to an alertgroup that does not exist is 404 and adds nothing', async () => {
        const before = expectStatus(await client.get('/alert'), 200).totalRecordCount;
        expectError(await client.post('/alert', { alertgroup: 999999, data: { host: 'x' } }), 404);
        expectError(await client.post('/alert', { alertgroup: 1, data: { host: 'x' }, severity: 'high' }), 400, 'severity');
        assert.equal(expectStatus(await client.get('/alert'), 200).totalRecordCount, before);
      });
    });

    describe("events, incidents and entries in SCOT 3's spellings", () => {
      it('readgroups and modifygroups set the groups of an event and an entry; parent 0 is a top-level entry', async () => {
        const defgroups = ['ir', 'testing'];
        const event = expectStatus(
          await client.post('/event', {
            subject: 'Test Event 1',
            source: 'firetest',
            tag: ['test'],
            status: 'open',
            readgroups: defgroups,
            modifygroups: defgroups,
          }),
          201,
        );
        const stored = await storedForm(client, 'event', event.id);
        assert.deepEqual(stored.groups, { read: defgroups, modify: defgroups });
        assert.deepEqual(stored.source, ['firetest']);
        const entry = expectStatus(
          await client.post('/entry', {
            body: 'The fifth symphony',
            target_id: event.id,
            target_type: 'event',
            parent: 0,
            readgroups: ['ir'],
            modifygroups: ['ir'],
          }),
          201,
        );
        assert.equal(entry.record.parent, null);
        assert.deepEqual(entry.record.groups, { read: ['ir'], modify: ['ir'] });
        const sources = expectStatus(await client.get(`/event/${event.id}/source`), 200);
        assert.equal(sources.records[0].value, 'firetest');
      });

      it('tags posted as {value, note} are stored by name, the note describing a new tag', async () => {
        const event = expectStatus(
          await client.post('/event', { subject: 'noted', tags: [{ value: 'apt-x', note: 'tracked actor' }, 'plain'] }),
          201,
        );
        assert.deepEqual((await storedForm(client, 'event', event.id)).tag, ['apt-x', 'plain']);
        const tag = expectStatus(await client.get('/tag?name=apt-x'), 200).records[0];
        assert.deepEqual(
          { name: tag.name, value: tag.value, description: tag.description },
          { name: 'apt-x', value: 'apt-x', description: 'tracked actor' },
        );
        const updated = expectStatus(await client.put(`/event/${event.id}`, { tag: { value: 'single' } }), 200);
        assert.deepEqual(updated.record.tag, ['single']);
      });

      it('alert_id and alert on an event post promote those alerts into it', async () => {
        const group = expectStatus(
          await client.post('/alertgroup', { subject: 'to promote', data: [{ n: 1 }, { n: 2 }, { n: 3 }] }),
          201,
        );
        const [a1, a2, a3] = group.alerts;
        const one = expectStatus(await client.post('/event', { subject: 'Test Event 2', alert_id: a1 }), 201);
        const two = expectStatus(await client.post('/event', { subject: 'Test Event 3', alert: [a2, a3] }), 201);
        assert.deepEqual((await storedForm(client, 'event', one.id)).promoted_from, [a1]);
        assert.deepEqual((await storedForm(client, 'event', two.id)).promoted_from, [a2, a3]);
        const alert = await storedForm(client, 'alert', a1);
        assert.deepEqual(
          { status: alert.status, promotion_id: alert.promotion_id },
          { status: 'promoted', promotion_id: one.id },
        );
      });

      it("takes t/api/incident.t's post: events, reportable and reporting times, no subject", async () => {
        const event = expectStatus(
          await client.post('/event', { subject: 'Test Event 1', source: 'firetest', status: 'open' }),
          201,
        );
        const posted = {
          events: [event.id],
          reportable: 1,
          status: 'open',
          category: 'IMI-1',
          sensitivity: 'very',
          occurred: 1444309925,
          discovered: 1444319925,
        };
        const incident = expectStatus(await client.post('/incident', posted), 201);
        const stored = await storedForm(client, 'incident', incident.id);
        assert.deepEqual(
          {
            reportable: stored.reportable,
            occurred: stored.occurred,
            promoted_from: stored.promoted_from,
            subject: stored.subject,
          },
          { reportable: 1, occurred: 1444309925, promoted_from: [event.id], subject: 'Test Event 1' },
        );
        assert.ok(idsOf(await client.get('/incident?reportable=1')).includes(incident.id));
        expectError(await client.post('/incident', { subject: 's', reportable: 2 }), 400, 'reportable');
      });

      it('events on an incident post promote those events, and the reporting fields are kept', async () => {
        const event = expectStatus(await client.post('/event', { subject: 'serious' }), 201);
        const fields = {
          category: 'IMI-2',
          sensitivity: 'PII',
          security_category: 'moderate',
          type: 'phishing',
          occurred: 1_600_000_000,
          discovered: 1_600_000_100,
          reported: 1_600_000_200,
          closed: 1_600_000_300,
        };
        const incident = expectStatus(
          await client.post('/incident', { subject: 'Incident 1', events: [event.id], ...fields }),
          201,
        );
        const stored = await storedForm(client, 'incident', incident.id);
        assert.deepEqual(stored.promoted_from, [event.id]);
        for (const [field, value] of Object.entries(fields)) assert.equal(stored[field], value, field);
        assert.deepEqual(idsOf(await client.get('/incident?security_category=moderate')), [incident.id]);
      });

      it('a field sent in both spellings, or a misspelt SCOT 3 field, is refused naming what was sent', async () => {
        const both = expectError(
          await client.post('/event', { subject: 's', alert_id: 1, promote_from: { alert: [1] } }),
          400,
          'alert_id',
        );
        assert.equal(both.error, (both as { error_msg?: string }).error_msg);
        expectError(await client.post('/event', { subject: 's', readgroups: 'ir' }), 400, 'readgroups');
        expectError(await client.post('/event', { subject: 's', readgroup: ['ir'] }), 400, 'readgroup');
        expectError(await client.post('/event', { subject: 's', alert_id: 'two' }), 400, 'alert_id');
        expectError(await client.put('/event/1', { alert_id: 2 }), 400, 'alert_id');
      });
    });

    describe('TLP markings', () => {
      it('are stored, answered and filtered; unset by default, clear is white, amber+strict kept', async () => {
        const plain = expectStatus(await client.post('/event', { subject: 'unmarked' }), 201);
        const clear = expectStatus(await client.post('/event', { subject: 'clear', tlp: 'clear' }), 201);
        const strict = expectStatus(await client.post('/event', { subject: 'strict', tlp: 'amber+strict' }), 201);
        assert.equal((await storedForm(client, 'event', plain.id)).tlp, 'unset');
        assert.equal((await storedForm(client, 'event', clear.id)).tlp, 'white');
        assert.equal((await storedForm(client, 'event', strict.id)).tlp, 'amber+strict');
        assert.deepEqual(idsOf(await client.get('/event?tlp=white')), [clear.id]);
        const red = expectStatus(await client.put(`/event/${plain.id}`, { tlp: 'red' }), 200);
        assert.equal(red.record.tlp, 'red');
        assert.deepEqual((await historyOf(client, 'event', plain.id)).at(-1).diff, { tlp: ['unset', 'red'] });
        expectError(await client.post('/event', { subject: 's', tlp: 'purple' }), 400, 'tlp');
      });

      it("an alertgroup's marking is its alerts'; a new entry takes its target's unless it names one", async () => {
        const group = expectStatus(await client.post('/alertgroup', { subject: 'marked', data: [{ n: 1 }], tlp: 'amber' }), 201);
        assert.equal((await storedForm(client, 'alert', group.alerts[0])).tlp, 'amber');
        const inherited = expectStatus(
          await client.post('/entry', { target_type: 'alertgroup', target_id: group.id, body: 'seen' }),
          201,
        );
        assert.equal(inherited.record.tlp, 'amber');
        const own = expectStatus(
          await client.post('/entry', { target_type: 'alertgroup', target_id: group.id, body: 'seen', tlp: 'red' }),
          201,
        );
        assert.equal(own.record.tlp, 'red');
        const incident = expectStatus(await client.post('/incident', { subject: 'black', tlp: 'black' }), 201);
        assert.equal((await storedForm(client, 'incident', incident.id)).tlp, 'black');
      });
    });

    describe('errors as SCOT 3 clients read them', () => {
      it('carry error_msg beside error and field', async () => {
        const error = expectError(await client.post('/event', { subject: 's', severity: 'high' }), 400, 'severity');
        assert.equal((error as { error_msg?: string }).error_msg, error.error);
        const missing = expectError(await client.get('/event/999999'), 404);
        assert.equal((missing as { error_msg?: string }).error_msg, missing.error);
      });
    });

    // Last: it leaves the loopback address refused for a minute.
    describe('guessing Basic passwords', () => {
      it('is refused with 429 after 20 wrong tries a minute, even with the right password', async () => {
        const wrong = basic('admin', 'guess');
        const statuses: number[] = [];
        for (let i = 0; i < 21; i++) statuses.push((await send(scot().base, 'GET', '/whoami', { authorization: wrong })).status);
        // Earlier tests sent a few wrong Basic credentials from this address too.
        const first429 = statuses.indexOf(429);
        assert.ok(first429 > 0, `some 401s, then 429s: ${statuses.join(' ')}`);
        assert.deepEqual(statuses, [...Array(first429).fill(401), ...Array(21 - first429).fill(429)]);
        expectError(await send(scot().base, 'GET', '/whoami', { authorization: basic('admin', ADMIN_PASSWORD) }), 429);
        assert.equal(expectStatus(await client.get('/whoami'), 200).username, 'admin', 'an API key is not a guess');
      });
    });
  });
}
