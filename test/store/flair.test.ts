import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { addEntry } from '../../src/app/entry.js';
import { createCase, getObject, updateObject } from '../../src/app/object.js';
import type { App } from '../../src/app/context.js';
import { onNewEntity } from '../../src/app/entity.js';
import { prepareFlairChanges, storeFlairChanges } from '../../src/app/flair.js';
import { Unit } from '../../src/app/unit.js';
import { BUILT_IN } from '../../src/jobs/background.js';
import { CursorReader } from '../../src/jobs/consumer.js';
import { upsertEntities } from '../../src/store/entity.js';
import { backends } from '../helpers/backend.js';
import { as, T0, useFixture } from '../helpers/store.js';

const admin = as('admin', [], true);

/** A reader of the flair consumer, as `scot serve` runs it. */
const flairReader = (app: App) => new CursorReader(app, { ...BUILT_IN.consumers.find((c) => c.name === 'flair')!, batchSize: 2 });

/** Steps `reader` until it has nothing more; bounded. */
async function catchUp(reader: CursorReader): Promise<void> {
  for (let i = 0; i < 100; i++) if (!(await reader.step())) return;
  assert.fail('flair never caught up');
}

async function flairRows(app: App) {
  return app.store.db
    .selectFrom('flair')
    .select(['target_id', 'updated'])
    .where('target_type', '=', 'alert')
    .orderBy('target_id')
    .execute();
}

/** Entities first seen, as the hook heard of them: `type value`. */
const firstSeen: string[] = [];
onNewEntity(async (_unit, entities) => {
  firstSeen.push(...entities.map((e) => `${e.type} ${e.value}`));
});

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);

    it('flair resumes after a crash without losing or repeating a version, and hooks hear of each new entity once', async () => {
      const { app, clock } = fixture();
      firstSeen.length = 0;
      const a = await ingestAlertgroup(app, admin, { subject: 'one', data: [{ ip: '192.0.2.10' }] });
      const b = await ingestAlertgroup(app, admin, { subject: 'two', data: [{ ip: '192.0.2.10 and 192.0.2.11' }] });
      const c = await ingestAlertgroup(app, admin, { subject: 'three', data: [{ host: 'evil[.]com' }] });
      // The first node flairs one batch (two alertgroups) and dies before the next.
      assert.equal(await flairReader(app).step(), 2);
      assert.deepEqual(
        (await flairRows(app)).map((r) => Number(r.target_id)),
        [...a.alerts, ...b.alerts],
      );
      // Another node takes over once the dead node's lease has run out.
      clock.now = T0 + 60;
      await catchUp(flairReader(app));
      const rows = await flairRows(app);
      assert.deepEqual(
        rows.map((r) => Number(r.target_id)),
        [...a.alerts, ...b.alerts, ...c.alerts],
      );
      assert.deepEqual(
        rows.map((r) => Number(r.updated)),
        [T0, T0, T0 + 60],
      );
      assert.deepEqual(firstSeen.sort(), ['domain evil.com', 'ipaddr 192.0.2.10', 'ipaddr 192.0.2.11']);
    });

    it('the same version of an alert is never flaired twice, even when its changes are read again', async () => {
      const { app, clock } = fixture();
      const changes = await app.store.db.selectFrom('change').selectAll().orderBy('seq').execute();
      const before = await flairRows(app);
      clock.now = T0 + 600;
      const records = changes.map((c) => ({ ...c, seq: Number(c.seq), diff: JSON.parse(c.diff) }));
      const prepared = await prepareFlairChanges(app, records);
      assert.deepEqual(prepared, { alert: [], entry: [], known: new Map() });
      await app.store.db.transaction().execute(async (tx) => {
        await storeFlairChanges(new Unit(tx, app.store.rules, admin, app.now(), app), records, prepared);
      });
      assert.deepEqual(await flairRows(app), before);
      const appearances = await app.store.db
        .selectFrom('appearance')
        .select(['target_id', 'count', 'first_seen'])
        .orderBy('target_id')
        .execute();
      assert.ok(appearances.every((r) => Number(r.first_seen) < T0 + 600));
    });

    it("an entry edited while its flair was prepared reads pending until the edit's own change flairs its new body", async () => {
      const { app } = fixture();
      const event = await createCase(app, admin, 'event', { subject: 'edited' });
      const entry = await addEntry(app, admin, { target_type: 'event', target_id: Number(event.id), body: '<p>192.0.2.90</p>' });
      const flair = BUILT_IN.consumers.find((c) => c.name === 'flair')!;
      const created = await app.store.db
        .selectFrom('change')
        .selectAll()
        .where('type', '=', 'entry')
        .where('target_id', '=', Number(entry.id))
        .execute();
      const records = created.map((c) => ({ ...c, seq: Number(c.seq), diff: JSON.parse(c.diff) }));
      const prepared = await flair.prepare!(app, records);
      await updateObject(app, admin, 'entry', Number(entry.id), { body: '<p>192.0.2.91</p>' });
      await app.store.db.transaction().execute(async (tx) => {
        await flair.handle(new Unit(tx, app.store.rules, admin, app.now(), app), records, prepared);
      });
      const shown = () => getObject(app, admin, 'entry', Number(entry.id));
      const pending = await shown();
      assert.equal(pending.flair, 'pending');
      assert.equal(pending.body_flair, null);
      await catchUp(flairReader(app));
      assert.equal((await shown()).flair, 'done');
      assert.match((await shown()).body_flair!, /data-entity-value="192\.0\.2\.91"/);
    });

    it('an entity stored by another writer after a batch was read keeps its one id, and flair does not count it new', async () => {
      const { app } = fixture();
      firstSeen.length = 0;
      const group = await ingestAlertgroup(app, admin, { subject: 'raced', data: [{ ip: '192.0.2.77' }] });
      const flair = BUILT_IN.consumers.find((c) => c.name === 'flair')!;
      const created = await app.store.db
        .selectFrom('change')
        .selectAll()
        .where('type', '=', 'alertgroup')
        .where('target_id', '=', group.id)
        .execute();
      const records = created.map((c) => ({ ...c, seq: Number(c.seq), diff: JSON.parse(c.diff) }));
      const prepared = await flair.prepare!(app, records);
      // A reflair stores the entity between the batch's reading and its transaction.
      const { ids } = await upsertEntities(app.store.db, [{ type: 'ipaddr', value: '192.0.2.77' }], T0);
      await app.store.db.transaction().execute(async (tx) => {
        await flair.handle(new Unit(tx, app.store.rules, admin, app.now(), app), records, prepared);
      });
      const linked = await app.store.db
        .selectFrom('appearance')
        .select('entity_id')
        .where('target_type', '=', 'alert')
        .where('target_id', '=', group.alerts[0])
        .execute();
      assert.deepEqual(
        linked.map((r) => Number(r.entity_id)),
        [ids.get('ipaddr 192.0.2.77')],
      );
      assert.deepEqual(firstSeen, []);
    });

    it('entities already stored keep their ids among new ones; a value stored under another type is another entity', async () => {
      const { app } = fixture();
      const before = await upsertEntities(
        app.store.db,
        [
          { type: 'ipaddr', value: '192.0.2.1' },
          { type: 'domain', value: 'evil.example.co.uk' },
        ],
        T0,
      );
      assert.deepEqual(before.fresh.map((e) => e.value).sort(), ['192.0.2.1', 'evil.example.co.uk']);
      const after = await upsertEntities(
        app.store.db,
        [
          { type: 'ipaddr', value: '192.0.2.1' },
          { type: 'file', value: 'evil.example.co.uk' },
          { type: 'domain', value: 'evil.example.co.uk' },
          { type: 'ipaddr', value: '192.0.2.2' },
        ],
        T0 + 1,
      );
      assert.deepEqual(after.fresh.map((e) => `${e.type} ${e.value}`).sort(), ['file evil.example.co.uk', 'ipaddr 192.0.2.2']);
      assert.equal(after.ids.get('ipaddr 192.0.2.1'), before.ids.get('ipaddr 192.0.2.1'));
      assert.equal(after.ids.get('domain evil.example.co.uk'), before.ids.get('domain evil.example.co.uk'));
      assert.equal(new Set(after.ids.values()).size, 4, 'four entities, four ids');
    });
  });
}
