import type { FastifyInstance } from 'fastify';
import { WORKFLOW_TYPES } from '../../domain/catalog.js';
import {
  allowedEntities,
  allowEntity,
  changeEntitytype,
  createEntitytype,
  disallowEntity,
  entitiesOfObject,
  entityEntries,
  entitytypeList,
  findEntityList,
  getEntity,
  getEntitytype,
  setEntityTracking,
  whereSeen,
} from '../../app/entity.js';
import type { App } from '../../app/context.js';
import {
  ENTITY_ALLOW_INPUT,
  ENTITY_PATCH,
  ENTITYTYPE_INPUT,
  ENTITYTYPE_PATCH,
  type EntityAllowInput,
  type EntityPatch,
  type EntitytypeInput,
  type EntitytypePatch,
} from '../../domain/input/entity.js';
import { principal } from '../auth.js';
import { idParam, queryOf } from '../params.js';

/** Entities, where they appeared, the allow-list and admin-defined entity types. */
export function entityRoutes(server: FastifyInstance, app: App) {
  for (const type of WORKFLOW_TYPES) {
    server.get(`/${type}/:id/entity`, async (request) => entitiesOfObject(app, principal(request), type, idParam(request)));
    if (type === 'entry') continue;
    server.get(`/entity/:id/${type}`, async (request) =>
      whereSeen(app, principal(request), idParam(request), type, queryOf(request)),
    );
  }
  server.get('/entity/:id/entry', async (request) => entityEntries(app, principal(request), idParam(request), queryOf(request)));
  server.get('/entity', async (request) => findEntityList(app, principal(request), queryOf(request)));
  server.get('/entity/:id', async (request) => getEntity(app, principal(request), idParam(request)));
  server.put('/entity/:id', { schema: { body: ENTITY_PATCH } }, async (request) =>
    setEntityTracking(app, principal(request), idParam(request), (request.body as EntityPatch).status),
  );

  server.get('/entity/allow', async (request) => allowedEntities(app, principal(request)));
  server.post('/entity/allow', { schema: { body: ENTITY_ALLOW_INPUT } }, async (request, reply) => {
    reply.status(201);
    return allowEntity(app, principal(request), request.body as EntityAllowInput);
  });
  server.delete('/entity/allow/:id', async (request) => disallowEntity(app, principal(request), idParam(request)));

  server.get('/entitytype', async (request) => entitytypeList(app, principal(request)));
  server.get('/entitytype/:id', async (request) => getEntitytype(app, principal(request), idParam(request)));
  server.post('/entitytype', { schema: { body: ENTITYTYPE_INPUT } }, async (request, reply) => {
    reply.status(201);
    return createEntitytype(app, principal(request), request.body as EntitytypeInput);
  });
  server.put('/entitytype/:id', { schema: { body: ENTITYTYPE_PATCH } }, async (request) =>
    changeEntitytype(app, principal(request), idParam(request), request.body as EntitytypePatch),
  );
}
