import type { FastifyInstance } from 'fastify';
import { LABEL_KINDS } from '../../domain/catalog.js';
import { apikeysOf, createApikey, revokeApikey } from '../../app/auth.js';
import type { App } from '../../app/context.js';
import { changeLabel, createLabel, labelsPage, presentLabel, removeLabel } from '../../app/label.js';
import { envelope, parsePage } from '../../app/list.js';
import {
  changeGroup, createGroup, createUser, groupsPage, presentGroup, presentUser, removeGroup, updateUserAccount, usersPage, type UserPatch,
} from '../../app/user.js';
import { principal } from '../auth.js';
import { idParam, queryOf } from '../params.js';
import * as schema from '../schema.js';

/** Tags, sources, users, groups and API keys. The use cases decide who may do what. */
export function adminRoutes(server: FastifyInstance, app: App) {
  for (const kind of LABEL_KINDS) {
    server.get(`/${kind}`, async (request) => labelsPage(app, principal(request), kind, queryOf(request)));
    server.get(`/${kind}/:id`, async (request) => presentLabel(app, principal(request), kind, idParam(request)));
    server.post(`/${kind}`, { schema: { body: schema.labelCreate } }, async (request, reply) => {
      reply.status(201);
      return createLabel(app, principal(request), kind, request.body as schema.LabelBody);
    });
    server.put(`/${kind}/:id`, { schema: { body: schema.labelUpdate } }, async (request) =>
      changeLabel(app, principal(request), kind, idParam(request), request.body as Partial<schema.LabelBody>),
    );
    server.delete(`/${kind}/:id`, async (request) => {
      const id = idParam(request);
      await removeLabel(app, principal(request), kind, id);
      return { id, status: 'ok', action: 'delete' };
    });
  }

  server.get('/user', async (request) => {
    principal(request);
    const { records, total } = await usersPage(app, parsePage(queryOf(request)));
    return envelope(records, total);
  });
  server.get('/user/:id', async (request) => {
    principal(request);
    return presentUser(app, idParam(request));
  });
  server.post('/user', { schema: { body: schema.userCreate } }, async (request, reply) => {
    reply.status(201);
    return createUser(app, principal(request), request.body as schema.UserBody);
  });
  server.put('/user/:id', { schema: { body: schema.userUpdate } }, async (request) =>
    updateUserAccount(app, principal(request), idParam(request), request.body as UserPatch),
  );

  server.get('/group', async (request) => {
    principal(request);
    const { records, total } = await groupsPage(app, parsePage(queryOf(request)));
    return envelope(records, total);
  });
  server.get('/group/:id', async (request) => {
    principal(request);
    return presentGroup(app, idParam(request));
  });
  server.post('/group', { schema: { body: schema.groupCreate } }, async (request, reply) => {
    reply.status(201);
    return createGroup(app, principal(request), request.body as schema.GroupBody);
  });
  server.put('/group/:id', { schema: { body: schema.groupUpdate } }, async (request) =>
    changeGroup(app, principal(request), idParam(request), request.body as Partial<schema.GroupBody>),
  );
  server.delete('/group/:id', async (request) => {
    const id = idParam(request);
    await removeGroup(app, principal(request), id);
    return { id, status: 'ok', action: 'delete' };
  });

  server.get('/apikey', async (request) => {
    const rows = await apikeysOf(app, principal(request));
    return envelope(rows, rows.length);
  });
  server.post('/apikey', { schema: { body: schema.apikeyCreate } }, async (request, reply) => {
    const who = principal(request);
    const body = request.body as schema.ApikeyBody;
    reply.status(201);
    return createApikey(app, who, body.user ?? who.username, body.name ?? 'api');
  });
  server.delete('/apikey/:id', async (request) => {
    const id = idParam(request);
    await revokeApikey(app, principal(request), id);
    return { id, status: 'ok', action: 'revoke' };
  });
}
