import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../helpers/backend.js';
import { expectStatus, serverFor } from '../helpers/e2e.js';

const ROWS = 100_000;

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    describe('a large alertgroup', () => {
      const scot = serverFor(backend);

      it('is stored whole while the server keeps answering /health', async () => {
        const data = Array.from({ length: ROWS }, (_, i) => ({ host: `ws-${i}.corp.example`, n: i }));
        let posted = false;
        const post = scot()
          .admin.post('/alertgroup', { message_id: 'large-1', subject: 'a large alertgroup', data })
          .finally(() => (posted = true));
        // Health checks one after the other until the alertgroup is acknowledged; a server that
        // stores it in one go answers them all only afterwards.
        let answeredBefore = 0;
        for (let i = 0; i < 100_000 && !posted; i++) {
          expectStatus(await scot().anonymous.get('/health'), 200);
          if (!posted) answeredBefore++;
        }
        const created = expectStatus(await post, 201);
        assert.ok(answeredBefore >= 30, `only ${answeredBefore} health checks were answered while it was stored`);

        assert.equal(created.alerts.length, ROWS);
        const group = expectStatus(await scot().admin.get(`/alertgroup/${created.id}`), 200);
        assert.equal(group.alert_count, ROWS);
        assert.equal(expectStatus(await scot().admin.get(`/alert?alertgroup=${created.id}&limit=1`), 200).totalRecordCount, ROWS);
        const last = expectStatus(await scot().admin.get(`/alert/${created.alerts.at(-1)}`), 200);
        assert.equal(last.data.n, ROWS - 1);
      });
    });
  });
}
