import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import type { App } from '../../src/app/context.js';
import { enrichAgain } from '../../src/app/enrich.js';
import { entitiesOfObject, setEntityTracking } from '../../src/app/entity.js';
import { BUILT_IN } from '../../src/jobs/background.js';
import { CursorReader } from '../../src/jobs/consumer.js';
import { Worker } from '../../src/jobs/worker.js';
import { setEntityData } from '../../src/store/enrichment.js';
import { backends, tempDir } from '../helpers/backend.js';
import { ADMIN, as, changesOf, rejectsWith, T0, useFixture } from '../helpers/store.js';

const plugins = {
  'fails.js': `export const calls = [];
    export default { name: 'fails', types: ['domain'], async enrich(e) { calls.push(e.value); throw new Error('whois is down'); } };`,
  'huge.js': `export default { name: 'huge', types: ['domain'], async enrich() { return { blob: 'x'.repeat(100000) }; } };`,
  'cyclic.js': `export default { name: 'cyclic', types: ['domain'], async enrich() { const a = {}; a.self = a; return a; } };`,
  'hangs.js': `export default { name: 'hangs', types: ['domain'], timeoutMs: 50, enrich: () => new Promise(() => {}) };`,
  'flaky.js': `export const calls = [];
    export default { name: 'flaky', types: ['domain'], async enrich(e) {
      calls.push(e.value);
      if (calls.length === 1) throw new Error('busy, try later');
      return { tries: calls.length };
    } };`,
};

/** A plugin folder of its own (its modules load once): the example enricher, and three that fail, hang past their timeout, or fail only their first call. */
function pluginFolder(): string {
  const dir = tempDir('scot-plugins-');
  fs.copyFileSync(new URL('../../examples/enricher/hello.js', import.meta.url), path.join(dir, 'hello.js'));
  for (const [file, text] of Object.entries(plugins)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

/** The entity values a test plugin was called with. */
const callsOf = async (dir: string, file: string) =>
  ((await import(pathToFileURL(path.join(dir, file)).href)) as { calls: string[] }).calls;

/** Flairs what the change log holds, as the flair consumer of `scot serve` does; bounded. */
async function flairAll(app: App): Promise<void> {
  const reader = new CursorReader(app, BUILT_IN.consumers.find((c) => c.name === 'flair')!);
  for (let i = 0; i < 100 && (await reader.step()); i++);
}

/** Flairs everything the change log holds (enqueueing enrichment of new entities), then runs the due jobs. */
async function flairAndEnrich(app: App): Promise<void> {
  await flairAll(app);
  await new Worker(app, BUILT_IN.handlers).drain();
}

async function entityRow(app: App, type: string, value: string) {
  const row = await app.store.db
    .selectFrom('entity')
    .selectAll()
    .where('type', '=', type)
    .where('value', '=', value)
    .executeTakeFirstOrThrow();
  return { ...row, id: Number(row.id), data: JSON.parse(row.data) };
}

/** The latest enrichment job of an entity. */
async function enrichJobOf(app: App, entityId: number) {
  const jobs = await app.store.db
    .selectFrom('job')
    .selectAll()
    .where('kind', '=', 'entity.enrich')
    .orderBy('id', 'desc')
    .execute();
  const job = jobs.find((j) => JSON.parse(j.payload).entity === entityId);
  assert.ok(job, `entity ${entityId} has no enrichment job`);
  return job;
}

for (const backend of await backends()) {
  describe(`${backend.name}: enrichment`, { skip: backend.skip }, () => {
    const pluginDir = pluginFolder();
    const fixture = useFixture(backend, {
      SCOT_PLUGIN_DIR: pluginDir,
      SCOT_ENRICHERS: 'geoip,hello,fails,hangs,flaky,huge,cyclic',
    });
    const calls = (file: string) => callsOf(pluginDir, file);
    after(() => fs.rmSync(pluginDir, { recursive: true, force: true }));

    it('a new public address gets its GeoIP country, city and ASN from the shipped databases, with the time, and the entity map shows it', async () => {
      const { app, clock } = fixture();
      const group = await ingestAlertgroup(app, ADMIN, { subject: 'geo', data: [{ src: '81.2.69.142', dst: '10.1.2.3' }] });
      clock.now = T0 + 7;
      await flairAndEnrich(app);
      const publicIp = await entityRow(app, 'ipaddr', '81.2.69.142');
      const result = { country: 'GB', city: 'London', asn: 20712, as_org: 'Andrews & Arnold Ltd' };
      assert.deepEqual(publicIp.data, { geoip: { at: T0 + 7, result, summary: 'GB' } });
      // The shipped database knows nothing of a private address: nothing is stored, and no job was queued for it.
      const privateIp = await entityRow(app, 'ipaddr', '10.1.2.3');
      assert.deepEqual(privateIp.data, {});
      const payloads = await app.store.db.selectFrom('job').select('payload').where('kind', '=', 'entity.enrich').execute();
      assert.deepEqual(
        payloads.map((j) => JSON.parse(j.payload).entity),
        [publicIp.id],
      );
      const map = (await entitiesOfObject(app, ADMIN, 'alertgroup', Number(group.id))).records as Record<string, any>;
      assert.deepEqual(map['81.2.69.142'].enrichment, { geoip: 'GB' });
      assert.deepEqual(map['10.1.2.3'].enrichment, {});
      assert.deepEqual(
        (await changesOf(app, 'entity', publicIp.id)).map((c) => [c.action, c.who, c.diff]),
        [
          ['create', 'scot:flair', { type: 'ipaddr', value: '81.2.69.142' }],
          ['enrich', 'scot:enrich', { geoip: 'done' }],
        ],
      );
    });

    it('a failing, a hanging, an oversized and an unstorable plugin record their errors under their names; the example plugin and the entity status are unharmed', async () => {
      const { app, clock } = fixture();
      clock.now = T0 + 100;
      await ingestAlertgroup(app, ADMIN, { subject: 'dns', data: [{ host: 'evil.example.co.uk' }] });
      await flairAll(app);
      const { id } = await entityRow(app, 'domain', 'evil.example.co.uk');
      await setEntityTracking(app, ADMIN, id, 'tracked');
      clock.now = T0 + 101;
      await new Worker(app, BUILT_IN.handlers).drain();
      const entity = await entityRow(app, 'domain', 'evil.example.co.uk');
      assert.equal(entity.status, 'tracked');
      assert.deepEqual(entity.data, {
        hello: { at: T0 + 101, result: { greeting: 'hello, evil.example.co.uk', length: 18 }, summary: '18 chars' },
        fails: { at: T0 + 101, error: 'whois is down' },
        hangs: { at: T0 + 101, error: 'hangs timed out after 50 ms' },
        flaky: { at: T0 + 101, error: 'busy, try later' },
        huge: { at: T0 + 101, error: 'huge answered 100011 characters of JSON; at most 65536 are kept' },
        cyclic: { at: T0 + 101, error: 'Converting circular structure to JSON' },
      });
      const job = await enrichJobOf(app, id);
      assert.equal(job.status, 'failed');
      assert.match(
        job.last_error!,
        /^fails: whois is down; hangs: hangs timed out after 50 ms; flaky: busy, try later; huge: .+; cyclic: Converting circular structure to JSON$/,
      );
    });

    it('retries run only the enrichers that failed, a later success replaces the error, and the last failure is kept', async () => {
      const { app, clock } = fixture();
      const { id } = await entityRow(app, 'domain', 'evil.example.co.uk');
      const failsBefore = (await calls('fails.js')).length;
      clock.now = T0 + 4000; // past the worker's backoff
      await new Worker(app, BUILT_IN.handlers).drain();
      let entity = await entityRow(app, 'domain', 'evil.example.co.uk');
      assert.deepEqual(entity.data.flaky, { at: T0 + 4000, result: { tries: 2 } });
      assert.equal(entity.data.hello.at, T0 + 101, 'hello had a result and did not run again');
      assert.deepEqual(entity.data.fails, { at: T0 + 4000, error: 'whois is down' });
      assert.equal((await calls('fails.js')).length, failsBefore + 1);
      clock.now = T0 + 9000;
      await new Worker(app, BUILT_IN.handlers).drain();
      entity = await entityRow(app, 'domain', 'evil.example.co.uk');
      assert.equal((await enrichJobOf(app, id)).status, 'dead');
      assert.equal((await calls('flaky.js')).length, 2, 'flaky succeeded and was not asked again');
      assert.deepEqual(entity.data.fails, { at: T0 + 9000, error: 'whois is down' });
      assert.deepEqual(
        [entity.status, entity.data.flaky.result, entity.data.hello.summary],
        ['tracked', { tries: 2 }, '18 chars'],
      );
    });

    it('an admin runs every enricher of an entity again; others may not, and an unknown entity is not found', async () => {
      const { app, clock } = fixture();
      const { id } = await entityRow(app, 'domain', 'evil.example.co.uk');
      await rejectsWith(enrichAgain(app, as('alice', ['ir']), id), 403);
      await rejectsWith(enrichAgain(app, ADMIN, 999_999), 404);
      const queued = await enrichAgain(app, ADMIN, id);
      clock.now = T0 + 20_000;
      await new Worker(app, BUILT_IN.handlers).drain();
      const entity = await entityRow(app, 'domain', 'evil.example.co.uk');
      assert.equal(entity.data.hello.at, T0 + 20_000);
      assert.deepEqual(entity.data.flaky, { at: T0 + 20_000, result: { tries: 3 } });
      assert.equal((await enrichJobOf(app, id)).id, queued.job);
    });

    it('writes of different enrichers to one entity, at once, keep each other', async () => {
      const { app } = fixture();
      const { id } = await entityRow(app, 'ipaddr', '81.2.69.142');
      const writes = Array.from({ length: 8 }, (_, i) => setEntityData(app.store.db, app.store.rules, id, `e${i}`, { n: i }, T0));
      await Promise.all(writes);
      const data = (await entityRow(app, 'ipaddr', '81.2.69.142')).data;
      assert.deepEqual(Object.keys(data).sort(), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'geoip']);
      assert.deepEqual(data.e5, { n: 5 });
    });
  });
}
