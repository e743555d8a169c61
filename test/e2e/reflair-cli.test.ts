import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import type { App } from '../../src/app/context.js';
import { backends } from '../helpers/backend.js';
import { scotFails, scotOk, cliDatabase } from '../helpers/cli.js';
import { as } from '../helpers/store.js';

/** The flaired HTML of an alert's cells, as stored; undefined before it was flaired. */
async function flairOfAlert(app: App, id: number): Promise<Record<string, string> | undefined> {
  const row = await app.store.db
    .selectFrom('flair')
    .select('html')
    .where('target_type', '=', 'alert')
    .where('target_id', '=', id)
    .executeTakeFirst();
  return row && JSON.parse(row.html);
}

for (const backend of await backends()) {
  describe(`scot reflair (${backend.name})`, { skip: backend.skip, timeout: 120_000 }, () => {
    const database = cliDatabase(backend);
    let app: App;
    let env: NodeJS.ProcessEnv;
    before(() => {
      ({ app, env } = database());
    });

    it('scot reflair --all flairs every stored alert; --type flairs what that type matches', async () => {
      const { alerts } = await ingestAlertgroup(app, as('admin', [], true), {
        subject: 'cli',
        data: [{ ip: 'from 10.1.2[.]3' }, { md5: 'none here' }],
      });
      assert.equal(await flairOfAlert(app, alerts[0]), undefined);
      assert.equal((await scotOk(env, ['reflair', '--all'])).trim(), 're-flaired 2 alerts and entries');
      const cells = await flairOfAlert(app, alerts[0]);
      assert.equal(
        cells?.ip,
        'from <span class="entity ipaddr" data-entity-type="ipaddr" data-entity-value="10.1.2.3">10.1.2[.]3</span>',
      );
      assert.equal((await scotOk(env, ['reflair', '--type', 'ipaddr'])).trim(), 're-flaired 1 alerts and entries');
    });

    it('scot reflair refuses an unknown type, and needs --type or --all', async () => {
      assert.match(await scotFails(env, ['reflair', '--type', 'nosuch']), /no entity type "nosuch"/);
      assert.match(await scotFails(env, ['reflair']), /--type <type> or --all/);
    });
  });
}
