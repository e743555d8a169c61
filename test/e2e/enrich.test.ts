import assert from 'node:assert/strict';
import { setTimeout as wait } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, postAlertgroup, serverFor } from '../helpers/e2e.js';
import type { Client, TestServer } from '../helpers/server.js';
import { changesOf } from '../helpers/store.js';

/** Who did what to entity `id`, from the change log (entities have no history route). */
const actionsOn = async (scot: TestServer, id: number) => (await changesOf(scot.app, 'entity', id)).map((c) => [c.action, c.who]);

/** The entity of `value` once enrichment stored `data.<name>`; polls the API, bounded. */
async function enriched(client: Client, value: string, name: string): Promise<any> {
  // Bounded, and generous: the first lookup reads the shipped databases, slow on a loaded machine.
  for (let i = 0; i < 1200; i++) {
    const [entity] = expectStatus(await client.get(`/entity?value=${encodeURIComponent(value)}`), 200).records;
    if (entity?.data[name]) return entity;
    await wait(25);
  }
  assert.fail(`${value} was never enriched by ${name}`);
}

for (const backend of await backends()) {
  describe(`${backend.name}: enrichment`, { skip: backend.skip }, () => {
    const scot = serverFor(backend, { background: true });

    it('an analyst sees the GeoIP country, city and ASN of a public address in an alert, in the entity and in the alert entity map', async () => {
      const alice = await scot().user('alice', ['ir']);
      const { alerts } = await postAlertgroup(alice, { data: [{ src: '81.2.69.142', note: 'seen from 81.2.69[.]142' }] });
      const entity = await enriched(alice, '81.2.69.142', 'geoip');
      assert.equal(entity.type, 'ipaddr');
      assert.deepEqual(entity.data.geoip.result, {
        country: 'GB',
        city: 'London',
        asn: 20712,
        as_org: 'Andrews & Arnold Ltd',
      });
      assert.equal(typeof entity.data.geoip.at, 'number');
      assert.deepEqual(expectStatus(await alice.get(`/entity/${entity.id}`), 200).data, entity.data);
      const map = expectStatus(await alice.get(`/alert/${alerts[0]}/entity`), 200).records;
      assert.deepEqual(map['81.2.69.142'].enrichment, { geoip: 'GB' });
      assert.deepEqual(await actionsOn(scot(), entity.id), [
        ['create', 'scot:flair'],
        ['enrich', 'scot:enrich'],
      ]);
    });

    it('an admin re-runs enrichment of an entity; others may not, and what a user cannot read is not found', async () => {
      const { id } = await enriched(scot().admin, '81.2.69.142', 'geoip');
      const bob = await scot().user('bob', ['other']);
      const alice = await scot().user('alice2', ['ir']);
      expectError(await bob.post(`/entity/${id}/enrich`, {}), 403);
      expectError(await alice.post(`/entity/${id}/enrich`, {}), 403);
      expectError(await bob.get(`/entity/${id}`), 404);
      expectError(await scot().admin.post('/entity/999999/enrich', {}), 404);
      expectError(await scot().admin.post('/entity/x1/enrich', {}), 400, 'id');
      const queued = expectStatus(await scot().admin.post(`/entity/${id}/enrich`, {}), 202);
      assert.equal(queued.entity, id);
      let actions: string[][] = [];
      for (let i = 0; i < 400 && actions.length < 4; i++) {
        actions = await actionsOn(scot(), id);
        await wait(25);
      }
      assert.deepEqual(actions, [
        ['create', 'scot:flair'],
        ['enrich', 'scot:enrich'],
        ['enrich-requested', 'admin'],
        ['enrich', 'scot:enrich'],
      ]);
    });
  });
}
