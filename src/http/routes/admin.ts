import { LABEL_KINDS } from '../../domain/catalog.js';
import { apikeysOf, createApikey, revokeApikey } from '../../app/auth.js';
import type { App } from '../../app/context.js';
import { changeLabel, createLabel, labelsPage, presentLabel, removeLabel } from '../../app/label.js';
import { envelope, parsePage } from '../../app/list.js';
import { written } from '../../app/view.js';
import {
  changeGroup,
  createGroup,
  createUser,
  groupsPage,
  presentGroup,
  presentUser,
  removeGroup,
  updateUserAccount,
  usersPage,
} from '../../app/user.js';
import { principal } from '../auth.js';
import { idParam, queryOf } from '../params.js';
import {
  APIKEY_INPUT,
  GROUP_INPUT,
  GROUP_PATCH,
  LABEL_INPUT,
  LABEL_PATCH,
  USER_INPUT,
  USER_PATCH,
} from '../../domain/input/account.js';
import { optionalBody, scot3Input } from '../scot3.js';
import type { ApiServer } from '../server.js';

/** Tags, sources, users, groups and API keys. The use cases decide who may do what. */
export function adminRoutes(server: ApiServer, app: App) {
  for (const kind of LABEL_KINDS) {
    server.get(`/${kind}`, async (request) => labelsPage(app, principal(request), kind, queryOf(request)));
    server.get(`/${kind}/:id`, async (request) => presentLabel(app, principal(request), kind, idParam(request)));
    server.post(`/${kind}`, { schema: { body: LABEL_INPUT }, preValidation: scot3Input('label') }, async (request, reply) => {
      reply.status(201);
      return written('post', kind, await createLabel(app, principal(request), kind, request.body));
    });
    server.put(`/${kind}/:id`, { schema: { body: LABEL_PATCH } }, async (request) =>
      changeLabel(app, principal(request), kind, idParam(request), request.body),
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
  server.post('/user', { schema: { body: USER_INPUT } }, async (request, reply) => {
    reply.status(201);
    return createUser(app, principal(request), request.body);
  });
  server.put('/user/:id', { schema: { body: USER_PATCH } }, async (request) =>
    updateUserAccount(app, principal(request), idParam(request), request.body),
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
  server.post('/group', { schema: { body: GROUP_INPUT } }, async (request, reply) => {
    reply.status(201);
    return createGroup(app, principal(request), request.body);
  });
  server.put('/group/:id', { schema: { body: GROUP_PATCH } }, async (request) =>
    changeGroup(app, principal(request), idParam(request), request.body),
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
  // SCOT 3 clients post no body, also to SCOT 3's `/create_apikey`: a key for the caller. SCOT 3 named
  // the key it answered `apikey` and said `status: ok`.
  for (const path of ['/apikey', '/create_apikey']) {
    server.post(path, { schema: { body: APIKEY_INPUT }, preValidation: optionalBody }, async (request, reply) => {
      const who = principal(request);
      const { user, name } = request.body;
      reply.status(201);
      const created = await createApikey(app, who, user ?? who.username, name ?? 'api');
      return { ...created, apikey: created.key, status: 'ok' };
    });
  }
  server.delete('/apikey/:id', async (request) => {
    const id = idParam(request);
    await revokeApikey(app, principal(request), id);
    return { id, status: 'ok', action: 'revoke' };
  });
}
