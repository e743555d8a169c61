import assert from 'node:assert/strict';
import { setTimeout as wait } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { backends } from '../helpers/backend.js';
import { openStream } from '../helpers/stream.js';
import { expectError, expectStatus, expectWritten, postAlertgroup, postEntry, postEvent, serverFor } from '../helpers/e2e.js';
import type { Client } from '../helpers/server.js';

/** The object once flair has caught up with its text; polls the API, bounded. */
async function flaired(client: Client, path: string): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const record = expectStatus(await client.get(path), 200);
    if (record.flair === 'done') return record;
    await wait(25);
  }
  assert.fail(`${path} was never flaired`);
}

/** The entity-type record once its reflair job has finished; polls the API, bounded. */
async function reflaired(client: Client, id: number): Promise<any> {
  for (let i = 0; i < 400; i++) {
    const record = expectStatus(await client.get(`/entitytype/${id}`), 200);
    if (record.reflair?.status === 'done') return record;
    await wait(25);
  }
  assert.fail(`entity type ${id} never finished its reflair`);
}

const span = (type: string, value: string, text: string) =>
  `<span class="entity ${type}" data-entity-type="${type}" data-entity-value="${value}">${text}</span>`;

for (const backend of await backends()) {
  describe(`${backend.name}: flair without a worker`, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    it('a new alert shows flair pending and keeps its data as posted', async () => {
      const { alerts } = await postAlertgroup(scot().admin, { data: [{ ip: '10.1.2[.]3' }] });
      const alert = expectStatus(await scot().admin.get(`/alert/${alerts[0]}`), 200);
      assert.equal(alert.flair, 'pending');
      assert.equal(alert.data_with_flair, null);
      assert.deepEqual(alert.data, { ip: '10.1.2[.]3' });
    });
  });

  describe(`${backend.name}: flair`, { skip: backend.skip }, () => {
    const scot = serverFor(backend, { background: true });

    it("the stream does not push the entities flair stores, but does push an admin's change to one", async () => {
      const stream = await openStream(scot().admin);
      const group = await postAlertgroup(scot().admin, { data: [{ ip: '10.9.8[.]7' }] });
      let entities: Record<string, { id: number }> = {};
      for (let i = 0; i < 200 && !entities['10.9.8.7']; i++) {
        entities = expectStatus(await scot().admin.get(`/alert/${group.alerts[0]}/entity`), 200).records;
        if (!entities['10.9.8.7']) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { id } = entities['10.9.8.7'];
      expectWritten(await scot().admin.put(`/entity/${id}`, { status: 'tracked' }));
      await stream.waitFor((m) => m.type === 'entity' && m.id === id && m.action === 'update');
      assert.deepEqual(
        stream.notices.filter((m) => m.type === 'entity' && m.action === 'create'),
        [],
      );
      stream.close();
    });

    it('an alert holding a defanged IP and a domain is flaired in the background, its data untouched', async () => {
      const { alerts } = await postAlertgroup(scot().admin, {
        data: [{ src: 'seen 10.1.2[.]3 today', host: 'evil.example.co.uk' }],
      });
      const alert = await flaired(scot().admin, `/alert/${alerts[0]}`);
      assert.deepEqual(alert.data, { src: 'seen 10.1.2[.]3 today', host: 'evil.example.co.uk' });
      assert.equal(alert.data_with_flair.src, `seen ${span('ipaddr', '10.1.2.3', '10.1.2[.]3')} today`);
      assert.equal(alert.data_with_flair.host, span('domain', 'evil.example.co.uk', 'evil.example.co.uk'));
      const entities = expectStatus(await scot().admin.get(`/alert/${alerts[0]}/entity`), 200).records;
      assert.deepEqual(Object.keys(entities).sort(), ['10.1.2.3', 'evil.example.co.uk']);
      assert.equal(entities['10.1.2.3'].type, 'ipaddr');
      assert.equal(entities['10.1.2.3'].status, 'untracked');
      assert.deepEqual(entities['10.1.2.3'].data, {});
    });

    it('an entity is stored once and lists every alert it appears in, with its count', async () => {
      const first = await postAlertgroup(scot().admin, { data: [{ ip: '192.0.2.77' }, { other: 'nothing here' }] });
      const second = await postAlertgroup(scot().admin, { data: [{ note: 'again 192.0.2[.]77' }] });
      await flaired(scot().admin, `/alert/${second.alerts[0]}`);
      const found = expectStatus(await scot().admin.get('/entity?type=ipaddr&value=192.0.2.77'), 200);
      assert.equal(found.totalRecordCount, 1);
      const entity = found.records[0];
      assert.equal(entity.count, 2);
      assert.deepEqual(expectStatus(await scot().admin.get(`/entity/${entity.id}`), 200), entity);
      const where = expectStatus(await scot().admin.get(`/entity/${entity.id}/alert`), 200);
      assert.deepEqual(
        where.records.map((r: any) => r.id),
        [second.alerts[0], first.alerts[0]],
      );
      const groups = expectStatus(await scot().admin.get(`/entity/${entity.id}/alertgroup`), 200);
      assert.deepEqual(
        groups.records.map((r: any) => r.id),
        [second.id, first.id],
      );
    });

    it('a user learns only of the objects their groups can read, not even through a count', async () => {
      const alice = await scot().user('alice-flair', ['analysts']);
      const open = await postAlertgroup(scot().admin, {
        data: [{ ip: '198.51.100.9' }],
        groups: { read: ['analysts'], modify: ['analysts'] },
      });
      const secret = await postAlertgroup(scot().admin, {
        data: [{ ip: '198.51.100.9', other: '203.0.113.5' }],
        groups: { read: ['secret'], modify: ['secret'] },
      });
      await flaired(scot().admin, `/alert/${secret.alerts[0]}`);
      await flaired(scot().admin, `/alert/${open.alerts[0]}`);
      const [entity] = expectStatus(await alice.get('/entity?value=198.51.100.9'), 200).records;
      assert.equal(entity.count, 1);
      const where = expectStatus(await alice.get(`/entity/${entity.id}/alert`), 200);
      assert.deepEqual(
        where.records.map((r: any) => r.id),
        [open.alerts[0]],
      );
      assert.equal(where.totalRecordCount, 1);
      const hidden = expectStatus(await scot().admin.get('/entity?value=203.0.113.5'), 200).records[0];
      expectError(await alice.get(`/entity/${hidden.id}`), 404);
      expectError(await alice.get(`/entity/${hidden.id}/alert`), 404);
      assert.equal(expectStatus(await alice.get('/entity?value=203.0.113.5'), 200).totalRecordCount, 0);
      expectError(await alice.get(`/alert/${secret.alerts[0]}/entity`), 404);
    });

    it('an entry is flaired when written and again when its body changes; its event lists the entities', async () => {
      const event = await postEvent(scot().admin);
      const entry = await postEntry(scot().admin, 'event', event.id, { body: '<p>callback to evil[.]com</p>' });
      const first = await flaired(scot().admin, `/entry/${entry.id}`);
      assert.equal(first.body, '<p>callback to evil[.]com</p>');
      assert.equal(first.body_flair, `<p>callback to ${span('domain', 'evil.com', 'evil[.]com')}</p>`);
      expectWritten(await scot().admin.put(`/entry/${entry.id}`, { body: '<p>now 192.0.2.200</p>' }));
      const second = await flaired(scot().admin, `/entry/${entry.id}`);
      assert.equal(second.body_flair, `<p>now ${span('ipaddr', '192.0.2.200', '192.0.2.200')}</p>`);
      const ofEvent = expectStatus(await scot().admin.get(`/event/${event.id}/entity`), 200).records;
      assert.deepEqual(Object.keys(ofEvent), ['192.0.2.200']);
      const where = expectStatus(await scot().admin.get(`/entity/${ofEvent['192.0.2.200'].id}/event`), 200);
      assert.deepEqual(
        where.records.map((r: any) => r.id),
        [event.id],
      );
    });

    it('an entity can be marked tracked; another status is refused with 400, an unknown entity with 404', async () => {
      const { alerts } = await postAlertgroup(scot().admin, { data: [{ hash: 'd41d8cd98f00b204e9800998ecf8427e' }] });
      await flaired(scot().admin, `/alert/${alerts[0]}`);
      const [entity] = expectStatus(
        await scot().admin.get('/entity?type=md5&value=d41d8cd98f00b204e9800998ecf8427e'),
        200,
      ).records;
      const tracked = expectWritten(await scot().admin.put(`/entity/${entity.id}`, { status: 'tracked' }));
      assert.equal(tracked.status, 'tracked');
      assert.equal(expectStatus(await scot().admin.get(`/entity/${entity.id}`), 200).status, 'tracked');
      expectError(await scot().admin.put(`/entity/${entity.id}`, { status: 'blocked' }), 400, 'status');
      expectError(await scot().admin.put('/entity/999999', { status: 'tracked' }), 404);
    });

    it('values, CIDR blocks and domains on the allow-list are never flaired', async () => {
      expectStatus(await scot().admin.post('/entity/allow', { value: 'example.org' }), 201);
      const block = expectWritten(await scot().admin.post('/entity/allow', { value: '10.0.0.0/8' }), 201);
      assert.equal(block.kind, 'cidr');
      expectError(await scot().admin.post('/entity/allow', { value: '10.0.0.0/8' }), 409, 'value');
      expectError(await scot().admin.post('/entity/allow', { value: '10.0.0.0/99' }), 400, 'value');
      const bob = await scot().user('bob-flair', ['analysts']);
      expectError(await bob.post('/entity/allow', { value: 'example.net' }), 403);
      const { alerts } = await postAlertgroup(scot().admin, { data: [{ a: 'mail.example.org', b: '10.9.9.9', c: '8.8.4.4' }] });
      const alert = await flaired(scot().admin, `/alert/${alerts[0]}`);
      assert.deepEqual(Object.keys(expectStatus(await scot().admin.get(`/alert/${alerts[0]}/entity`), 200).records), ['8.8.4.4']);
      assert.equal(alert.data_with_flair.a, 'mail.example.org');
      const list = expectStatus(await scot().admin.get('/entity/allow'), 200);
      assert.deepEqual(
        list.records.map((r: any) => r.value),
        ['example.org', '10.0.0.0/8'],
      );
    });

    it('a new entity type re-flairs history in a tracked job, and disabling it takes its flair away', async () => {
      const { alerts } = await postAlertgroup(scot().admin, { data: [{ host: 'logon from ws-1234' }] });
      await flaired(scot().admin, `/alert/${alerts[0]}`);
      const created = expectWritten(await scot().admin.post('/entitytype', { value: 'hostname', match: 'ws-\\d{4}' }), 201);
      const done = await reflaired(scot().admin, created.id);
      assert.ok(done.reflair.total >= 1);
      assert.equal(done.reflair.done, done.reflair.total);
      const alert = expectStatus(await scot().admin.get(`/alert/${alerts[0]}`), 200);
      assert.equal(alert.data_with_flair.host, `logon from ${span('hostname', 'ws-1234', 'ws-1234')}`);
      // Ingested after: the type applies to new alerts too.
      const later = await postAlertgroup(scot().admin, { data: [{ host: 'ws-9999' }] });
      assert.equal(
        (await flaired(scot().admin, `/alert/${later.alerts[0]}`)).data_with_flair.host,
        span('hostname', 'ws-9999', 'ws-9999'),
      );
      expectWritten(await scot().admin.put(`/entitytype/${created.id}`, { status: 'disabled' }));
      await reflaired(scot().admin, created.id);
      assert.equal(expectStatus(await scot().admin.get(`/alert/${alerts[0]}`), 200).data_with_flair.host, 'logon from ws-1234');
      assert.deepEqual(expectStatus(await scot().admin.get(`/alert/${alerts[0]}/entity`), 200).records, {});
    });

    it('a malformed or unsafe entity type is refused with 400 naming the field, and only admins define them', async () => {
      expectError(await scot().admin.post('/entitytype', { value: 'broken', match: '(a' }), 400, 'match');
      expectError(await scot().admin.post('/entitytype', { value: 'backref', match: '(a+)\\1' }), 400, 'match');
      expectError(await scot().admin.post('/entitytype', { value: 'empty', match: 'x*' }), 400, 'match');
      expectError(await scot().admin.post('/entitytype', { value: 'ipaddr', match: 'x' }), 400, 'value');
      expectError(await scot().admin.post('/entitytype', { value: 'Bad Name', match: 'x' }), 400, 'value');
      expectError(await scot().admin.post('/entitytype', { value: 'ok', match: 'x', extra: 1 }), 400);
      const carol = await scot().user('carol-flair', ['analysts']);
      expectError(await carol.post('/entitytype', { value: 'mine', match: 'x' }), 403);
      expectError(await carol.get('/entitytype'), 403);
    });

    it('binary-looking cells are flaired and kept exactly as posted', async () => {
      // NUL itself is refused at the edge (400); every other control character is kept.
      const binary = '\u0001\u0002\u0003\uFFFD\u00ff<script>x</script> 192.0.2.55';
      const { alerts } = await postAlertgroup(scot().admin, { data: [{ raw: binary, n: 7, nested: { ip: '192.0.2.56' } }] });
      const alert = await flaired(scot().admin, `/alert/${alerts[0]}`);
      assert.deepEqual(alert.data, { raw: binary, n: 7, nested: { ip: '192.0.2.56' } });
      assert.doesNotMatch(alert.data_with_flair.raw, /<script>/);
      assert.deepEqual(Object.keys(expectStatus(await scot().admin.get(`/alert/${alerts[0]}/entity`), 200).records).sort(), [
        '192.0.2.55',
        '192.0.2.56',
      ]);
    });

    it('a 10 MB cell and an entry of 20,000 indicators are flaired without a 5xx', async () => {
      const big = `${'x'.repeat(10 * 1024 * 1024)} 192.0.2.1`;
      const { alerts } = await postAlertgroup(scot().admin, { data: [{ blob: big }] });
      const alert = await flaired(scot().admin, `/alert/${alerts[0]}`);
      assert.equal(alert.data.blob.length, big.length);
      assert.deepEqual(Object.keys(expectStatus(await scot().admin.get(`/alert/${alerts[0]}/entity`), 200).records), [
        '192.0.2.1',
      ]);
      const event = await postEvent(scot().admin);
      const ips = Array.from({ length: 20_000 }, (_, i) => `172.16.${(i >> 8) & 255}.${i & 255}`);
      const entry = await postEntry(scot().admin, 'event', event.id, { body: `<p>${ips.join(' ')}</p>` });
      await flaired(scot().admin, `/entry/${entry.id}`);
      assert.equal(Object.keys(expectStatus(await scot().admin.get(`/entry/${entry.id}/entity`), 200).records).length, 20_000);
    });
  });
}
