import type { FastifyInstance } from 'fastify';
import { auditLog } from '../../app/audit.js';
import type { App } from '../../app/context.js';
import { listDeleted, undeleteDeleted } from '../../app/deleted.js';
import { written } from '../../app/view.js';
import { principal } from '../auth.js';
import { idParam, queryOf } from '../params.js';
import * as schema from '../schema.js';

/** The change log across objects and SCOT 3's collection of deleted objects, for admins. */
export function auditRoutes(server: FastifyInstance, app: App) {
  server.get('/audit', async (request) => auditLog(app, principal(request), queryOf(request)));

  server.get('/deleted', async (request) => listDeleted(app, principal(request), queryOf(request)));

  server.put('/deleted/:id', { schema: { body: schema.deletedUpdate } }, async (request) => {
    const { type, record } = await undeleteDeleted(app, principal(request), idParam(request));
    return written('undelete', type, record);
  });
}
