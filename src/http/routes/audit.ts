import { auditLog } from '../../app/audit.js';
import type { App } from '../../app/context.js';
import { listDeleted, undeleteDeleted } from '../../app/deleted.js';
import { written } from '../../app/view.js';
import { principal } from '../auth.js';
import { idParam, queryOf } from '../params.js';
import { DELETED_PATCH } from '../../domain/input/patch.js';
import type { ApiServer } from '../server.js';

/** The change log across objects and SCOT 3's collection of deleted objects, for admins. */
export function auditRoutes(server: ApiServer, app: App) {
  server.get('/audit', async (request) => auditLog(app, principal(request), queryOf(request)));

  server.get('/deleted', async (request) => listDeleted(app, principal(request), queryOf(request)));

  server.put('/deleted/:id', { schema: { body: DELETED_PATCH } }, async (request) => {
    const { type, record } = await undeleteDeleted(app, principal(request), idParam(request));
    return written('undelete', type, record);
  });
}
