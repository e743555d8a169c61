import {
  ENTRY_TARGET_TYPES,
  LABEL_KINDS,
  type EntryTargetType,
  WORKFLOW_TYPES,
  type WorkflowType,
} from '../../domain/catalog.js';
import { ALERT_INPUT, ALERTGROUP_INPUT } from '../../domain/input/alertgroup.js';
import { ENTRY_INPUT } from '../../domain/input/entry.js';
import { EVENT_INPUT } from '../../domain/input/event.js';
import { INCIDENT_INPUT } from '../../domain/input/incident.js';
import { PATCHES } from '../../domain/input/patch.js';
import { readable } from '../../app/access.js';
import { addAlert } from '../../app/alert.js';
import { ingestAlertgroup } from '../../app/alertgroup.js';
import type { App } from '../../app/context.js';
import { addEntry } from '../../app/entry.js';
import { envelope } from '../../app/list.js';
import { createCase, deleteObject, getObject, history, listObjects, unlabel, updateObject } from '../../app/object.js';
import { promotionOf, PROMOTES_TO, type Promotable } from '../../app/promote.js';
import { entriesOf } from '../../app/thread.js';
import { reader } from '../../app/unit.js';
import { written } from '../../app/view.js';
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

const isEntryTarget = (type: string): type is EntryTargetType => (ENTRY_TARGET_TYPES as readonly string[]).includes(type);

/** List, get, update, delete, history and sub-collections of alertgroups, alerts, events, incidents, entries. */
export function workflowRoutes(server: ApiServer, app: App) {
  for (const type of WORKFLOW_TYPES) {
    server.get(`/${type}`, async (request) => listObjects(reader(app, principal(request)), type, queryOf(request)));

    server.get(`/${type}/:id`, async (request) => getObject(app, principal(request), type, idParam(request), request.ip));

    server.put(`/${type}/:id`, { schema: { body: PATCHES[type] }, preValidation: scot3Input(type) }, async (request) => {
      const patch = request.body;
      const record = await updateObject(app, principal(request), type, idParam(request), patch);
      return written('put', type, record, 'promote' in patch ? promotionOf(record) : undefined);
    });

    server.delete(`/${type}/:id`, async (request) =>
      written('delete', type, await deleteObject(app, principal(request), type, idParam(request))),
    );

    server.get(`/${type}/:id/history`, async (request) =>
      history(app, principal(request), type, idParam(request), queryOf(request)),
    );

    for (const kind of LABEL_KINDS) {
      server.get(`/${type}/:id/${kind}`, async (request) => {
        const unit = reader(app, principal(request));
        const row = await readable(unit, type, idParam(request));
        const names = (await labelsOf(unit.db, kind, type, [row.id])).get(row.id) ?? [];
        // SCOT 3 clients read a label's name as `value`.
        return envelope(
          names.map((n) => ({ name: n, value: n })),
          names.length,
        );
      });
    }

    for (const kind of LABEL_KINDS) {
      server.delete(`/${type}/:id/${kind}/:${kind}_id`, async (request) =>
        written(
          'delete',
          type,
          await unlabel(app, principal(request), type, idParam(request), kind, idParam(request, `${kind}_id`)),
        ),
      );
    }

    if (isEntryTarget(type)) {
      server.get(`/${type}/:id/entry`, async (request) =>
        entriesOf(app, principal(request), type, idParam(request), queryOf(request)),
      );
    }

    if (type in PROMOTES_TO) {
      const parent = PROMOTES_TO[type as Promotable];
      server.get(`/${type}/:id/${parent}`, async (request) => {
        const unit = reader(app, principal(request));
        const row = await readable(unit, type as Promotable, idParam(request));
        if (row.promotion_id === null) return envelope([], 0);
        return listObjects(unit, parent, queryOf(request), [{ column: 'id', kind: 'int', values: [String(row.promotion_id)] }]);
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

  server.post(
    '/alertgroup',
    { schema: { body: ALERTGROUP_INPUT }, preValidation: scot3Input('alertgroup') },
    async (request, reply) => {
      const result = await ingestAlertgroup(app, principal(request), request.body);
      reply.status(result.created ? 201 : 200);
      return {
        id: result.id,
        alerts: result.alerts,
        action: 'post',
        thing: 'alertgroup',
        status: 'ok',
        ...(result.created ? {} : { duplicate: true }),
      };
    },
  );

  server.get('/task', async (request) =>
    listObjects(reader(app, principal(request)), 'entry', queryOf(request), [
      { column: 'class', kind: 'exact', values: ['task'] },
    ]),
  );

  server.post('/alert', { schema: { body: ALERT_INPUT }, preValidation: scot3Input('alert') }, async (request, reply) => {
    reply.status(201);
    return written('post', 'alert', await addAlert(app, principal(request), request.body));
  });

  const caseInputs = { event: EVENT_INPUT, incident: INCIDENT_INPUT } as const;
  for (const type of ['event', 'incident'] as const) {
    server.post(`/${type}`, { schema: { body: caseInputs[type] }, preValidation: scot3Input(type) }, async (request, reply) => {
      reply.status(201);
      return written('post', type, await createCase(app, principal(request), type, request.body));
    });
  }

  server.post('/entry', { schema: { body: ENTRY_INPUT }, preValidation: scot3Input('entry') }, async (request, reply) => {
    reply.status(201);
    return written('post', 'entry', await addEntry(app, principal(request), request.body));
  });
}
