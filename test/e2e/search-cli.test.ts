import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import type { App } from '../../src/app/context.js';
import { searchIndexer, searchObjects } from '../../src/app/search.js';
import { CursorReader } from '../../src/jobs/consumer.js';
import { backends } from '../helpers/backend.js';
import { scot, scotOk, cliDatabase } from '../helpers/cli.js';
import { ADMIN } from '../helpers/store.js';

for (const backend of await backends()) {
  describe(`scot search (${backend.name})`, { skip: backend.skip, timeout: 120_000 }, () => {
    const database = cliDatabase(backend);
    let app: App;
    let env: NodeJS.ProcessEnv;
    before(() => {
      ({ app, env } = database());
    });

    it('scot search status shows the lag; scot search reindex rebuilds with progress and the index answers at once', async () => {
      await ingestAlertgroup(app, ADMIN, { subject: 'Reindexed wombat', data: [{ ip: '198.51.100.4' }, { ip: '198.51.100.5' }] });
      assert.deepEqual((await scotOk(env, ['search', 'status'])).trim().split('\n'), [
        'documents: 0',
        'lag: 1 (indexed up to change 0 of 1)',
      ]);

      const run = await scot(env, ['search', 'reindex']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^search index rebuilt: 3 documents in /);
      assert.match(run.stderr, /^\[#{30}\] 100% 3\/3 objects, \d+\/s$/m);
      assert.deepEqual(
        (await searchObjects(app, ADMIN, { q: '198.51.100.4' })).records.map((r) => r.type),
        ['alert'],
      );

      const reader = new CursorReader(app, searchIndexer);
      for (let i = 0; i < 10 && (await reader.step()) !== 0; i++);
      await reader.release();
      assert.deepEqual((await scotOk(env, ['search', 'status'])).trim().split('\n'), [
        'documents: 3',
        'lag: 0 (indexed up to change 1 of 1)',
      ]);
    });
  });
}
