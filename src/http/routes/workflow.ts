import { ENTRY_TARGET_TYPES, LABEL_KINDS, WORKFLOW_TYPES, type WorkflowType } from '../../domain/catalog.js';
import { ALERT_INPUT, ALERTGROUP_INPUT } from '../../domain/input/alertgroup.js';
import { ENTRY_INPUT } from '../../domain/input/entry.js';
import { EVENT_INPUT } from '../../domain/input/event.js';
import { INCIDENT_INPUT } from '../../domain/input/incident.js';
import { PATCHES } from '../../domain/input/patch.js';
import { readable } from '../../app/access.js';
import { addAlert, ingestAlertgroup } from '../../app/alertgroup.js';
import type { App } from '../../app/context.js';
import { addEntry } from '../../app/entry.js';
import { envelope, listObjects } from '../../app/list.js';
import { createCase, deleteObject, getObject, history, updateObject } from '../../app/object.js';
import { reader } from '../../app/unit.js';
import { labelsOf } from '../../store/label.js';
import { principal } from '../auth.js';
import { idParam, queryOf } from '../params.js';
import { scot3Input } from '../scot3.js';
import type { ApiServer } from '../server.js';

/** Sub-collections listing objects of another type that point at the parent. */
const CHILDREN: Partial<Record<WorkflowType, { sub: WorkflowType; column: string }>> = {
  alertgroup: { sub: 'alert', column: 'alertgroup_id' },
  event: { sub: 'alert', column: 'promotion_id' },
  incident: { sub: 'event', column: 'promotion_id' },
  entry: { sub: 'entry', column: 'parent_id' },
};

/** List, get, update, delete, history and sub-collections of alertgroups, alerts, events, incidents, entries. */
export function workflowRoutes(server: ApiServer, app: App) {
  for (const type of WORKFLOW_TYPES) {
    server.get(`/${type}`, async (request) => listObjects(reader(app, principal(request)), type, queryOf(request)));

    server.get(`/${type}/:id`, async (request) => getObject(app, principal(request), type, idParam(request)));

    server.put(`/${type}/:id`, { schema: { body: PATCHES[type] }, preValidation: scot3Input(type) }, async (request) =>
      updateObject(app, principal(request), type, idParam(request), request.body),
    );

    server.delete(`/${type}/:id`, async (request) => {
      const id = idParam(request);
      await deleteObject(app, principal(request), type, id);
      return { id, status: 'ok', action: 'delete' };
    });

    server.get(`/${type}/:id/history`, async (request) =>
      history(app, principal(request), type, idParam(request), queryOf(request)),
    );

    for (const kind of LABEL_KINDS) {
      server.get(`/${type}/:id/${kind}`, async (request) => {
        const unit = reader(app, principal(request));
        const row = await readable(unit, type, idParam(request));
        const names = (await labelsOf(unit.db, kind, type, [row.id])).get(row.id) ?? [];
        // SCOT 3 clients read a label's name as `value`.
        return envelope(names.map((n) => ({ name: n, value: n })), names.length);
      });
    }

    if ((ENTRY_TARGET_TYPES as readonly string[]).includes(type)) {
      server.get(`/${type}/:id/entry`, async (request) => {
        const unit = reader(app, principal(request));
        const row = await readable(unit, type, idParam(request));
        const q = { sort: 'id', limit: String(1000), ...queryOf(request) };
        return listObjects(unit, 'entry', q, [
          { column: 'target_type', kind: 'exact', values: [type] },
          { column: 'target_id', kind: 'int', values: [String(row.id)] },
        ]);
      });
    }

    const child = CHILDREN[type];
    if (child) {
      const { sub, column } = child;
      server.get(`/${type}/:id/${sub}`, async (request) => {
        const unit = reader(app, principal(request));
        const row = await readable(unit, type, idParam(request));
        return listObjects(unit, sub, { sort: 'id', ...queryOf(request) }, [{ column, kind: 'int', values: [String(row.id)] }]);
      });
    }
  }

  server.post('/alertgroup', { schema: { body: ALERTGROUP_INPUT }, preValidation: scot3Input('alertgroup') }, async (request, reply) => {
    const result = await ingestAlertgroup(app, principal(request), request.body);
    reply.status(result.created ? 201 : 200);
    return { id: result.id, alerts: result.alerts, status: 'ok', ...(result.created ? {} : { duplicate: true }) };
  });

  server.post('/alert', { schema: { body: ALERT_INPUT }, preValidation: scot3Input('alert') }, async (request, reply) => {
    reply.status(201);
    return addAlert(app, principal(request), request.body);
  });

  server.post('/event', { schema: { body: EVENT_INPUT }, preValidation: scot3Input('event') }, async (request, reply) => {
    reply.status(201);
    return createCase(app, principal(request), 'event', request.body);
  });

  server.post('/incident', { schema: { body: INCIDENT_INPUT }, preValidation: scot3Input('incident') }, async (request, reply) => {
    reply.status(201);
    return createCase(app, principal(request), 'incident', request.body);
  });

  server.post('/entry', { schema: { body: ENTRY_INPUT }, preValidation: scot3Input('entry') }, async (request, reply) => {
    reply.status(201);
    return addEntry(app, principal(request), request.body);
  });
}
