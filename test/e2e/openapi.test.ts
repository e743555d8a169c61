import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, routesOf, serverFor } from '../helpers/e2e.js';

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    const scot = serverFor(backend);

    it('publishes every route of the API in /openapi.json', async () => {
      const doc = expectStatus(await scot().admin.get('/openapi.json'), 200);
      assert.match(doc.openapi, /^3\./);
      const routes = routesOf(scot().server);
      assert.ok(routes.length > 60, `only ${routes.length} routes found`);
      for (const [method, path] of routes) {
        const documented = doc.paths[path.replace(/:(\w+)/g, '{$1}')];
        assert.ok(documented?.[method.toLowerCase()], `${method} ${path} is not in openapi.json`);
      }
      const documentedCount = Object.values(doc.paths).reduce((n: number, p: any) => n + Object.keys(p).length, 0);
      assert.equal(documentedCount, routes.length, 'openapi.json describes no route the server lacks');
    });

    it('describes request bodies with the schemas that validate them', async () => {
      const doc = expectStatus(await scot().admin.get('/openapi.json'), 200);
      const alertgroup = doc.paths['/scot/api/v2/alertgroup'].post.requestBody.content['application/json'].schema;
      assert.deepEqual(alertgroup.required, ['subject', 'data']);
      assert.equal(alertgroup.additionalProperties, false);
      const entry = doc.paths['/scot/api/v2/entry/{id}'].put.requestBody.content['application/json'].schema;
      assert.deepEqual(entry.properties.task.enum, ['take', 'complete', 'open']);
    });

    it('is for signed-in callers, like the rest of the API', async () => {
      expectError(await scot().anonymous.get('/openapi.json'), 401);
    });
  });
}
