import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import type { AlertgroupInput } from '../../src/domain/input/alertgroup.js';
import { backends } from '../helpers/backend.js';
import { as, useFixture } from '../helpers/store.js';

const blue = as('blue-ids', ['blue']);
const green = as('green-ids', ['green']);

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);

    it('concurrent posts of one message_id store one alertgroup per team that cannot read the other', async () => {
      const { app } = fixture();
      const input = (groups: string[]): AlertgroupInput => ({
        message_id: '<many-writers@detector>',
        subject: 'one mail, two teams, many writers',
        data: [{ n: 1 }, { n: 2 }],
        groups: { read: groups, modify: groups },
      });
      // On PostgreSQL these run side by side on separate connections, as on several API nodes.
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          i % 2 === 0 ? ingestAlertgroup(app, blue, input(['blue'])) : ingestAlertgroup(app, green, input(['green'])),
        ),
      );
      const blueIds = new Set(results.filter((_, i) => i % 2 === 0).map((r) => r.id));
      const greenIds = new Set(results.filter((_, i) => i % 2 === 1).map((r) => r.id));
      assert.equal(blueIds.size, 1, 'every blue post answers with the one blue alertgroup');
      assert.equal(greenIds.size, 1, 'every green post answers with the one green alertgroup');
      assert.notDeepEqual([...blueIds], [...greenIds]);
      assert.equal(results.filter((r) => r.created).length, 2);
      const stored = await app.store.db
        .selectFrom('alertgroup')
        .select(['id', 'read_groups'])
        .where('message_id', '=', '<many-writers@detector>')
        .execute();
      assert.deepEqual(
        stored.map((r) => [r.id, JSON.parse(r.read_groups)]).sort(),
        [
          [[...blueIds][0], ['blue']],
          [[...greenIds][0], ['green']],
        ].sort(),
      );
    });

    it('a poster in no group, which cannot read what it posts, still gets its earlier alertgroup back', async () => {
      const { app } = fixture();
      const groupless = as('write-only-sensor', []);
      const input: AlertgroupInput = {
        message_id: '<write-only@sensor>',
        subject: 'from a sensor in no group',
        data: [{ n: 1 }],
      };
      const first = await ingestAlertgroup(app, groupless, input);
      assert.deepEqual(await ingestAlertgroup(app, groupless, input), { ...first, created: false });
      const other = await ingestAlertgroup(app, as('other-sensor', []), input);
      assert.equal(other.created, true, 'another poster that neither reads nor owns it gets its own');
    });
  });
}
