import { LABEL_KINDS } from '../../domain/catalog.js';
import { AppError, conflict, notFound } from '../../domain/error.js';
import { apikeysOf, createApikey, revokeApikey } from '../../app/auth.js';
import type { App } from '../../app/context.js';
import { envelope, parsePage } from '../../app/list.js';
import { verifyPassword } from '../../app/secret.js';
import {
  changeGroup, createGroup, createUser, groupsPage, presentGroup, presentUser, removeGroup, updateUserAccount, usersPage,
} from '../../app/user.js';
import { changeLabel, removeLabel } from '../../app/label.js';
import { ensureLabels, getLabel, labelByName, listLabels, updateLabel } from '../../store/label.js';
import { userById } from '../../store/user.js';
import { admin, principal } from '../auth.js';
import { idParam, queryOf } from '../params.js';
import {
  APIKEY_INPUT, GROUP_INPUT, GROUP_PATCH, LABEL_INPUT, LABEL_PATCH, USER_INPUT, USER_PATCH,
} from '../../domain/input/account.js';
import { optionalBody } from '../scot3.js';
import type { ApiServer } from '../server.js';

/** A tag or source as answered: SCOT 3 clients read its name as `value`. */
const withValue = <T extends { name: string }>(label: T): Record<string, unknown> => ({ ...label, value: label.name });

/** Tags, sources, users, groups and API keys. Reading is open to every user; changing is mostly for admins. */
export function adminRoutes(server: ApiServer, app: App) {
  const db = app.store.db;

  for (const kind of LABEL_KINDS) {
    server.get(`/${kind}`, async (request) => {
      principal(request);
      const q = queryOf(request);
      const { rows, total } = await listLabels(db, kind, { ...parsePage(q), name: typeof q.name === 'string' ? q.name : undefined });
      return envelope(rows.map(withValue), total);
    });
    server.get(`/${kind}/:id`, async (request) => {
      principal(request);
      const id = idParam(request);
      const label = await getLabel(db, kind, id);
      if (!label) throw notFound(kind, id);
      return withValue(label);
    });
    server.post(`/${kind}`, { schema: { body: LABEL_INPUT } }, async (request, reply) => {
      principal(request);
      const { name, description } = request.body;
      if (await labelByName(db, kind, name)) throw conflict(`${kind} ${name} already exists`, 'name');
      const id = (await ensureLabels(db, kind, [name], app.now())).get(name)!;
      if (description) await updateLabel(db, kind, id, { description });
      reply.status(201);
      return withValue((await getLabel(db, kind, id))!);
    });
    server.put(`/${kind}/:id`, { schema: { body: LABEL_PATCH } }, async (request) => {
      const patch = request.body;
      // A rename changes the label on every object of every group: an admin's call. Anyone may describe it.
      if (patch.name !== undefined) admin(request);
      else principal(request);
      const id = idParam(request);
      if (!(await getLabel(db, kind, id))) throw notFound(kind, id);
      const clash = patch.name ? await labelByName(db, kind, patch.name) : undefined;
      if (clash && clash.id !== id) throw conflict(`${kind} ${patch.name} already exists`, 'name');
      await changeLabel(app.store, kind, id, patch);
      return withValue((await getLabel(db, kind, id))!);
    });
    server.delete(`/${kind}/:id`, async (request) => {
      admin(request);
      const id = idParam(request);
      if (!(await getLabel(db, kind, id))) throw notFound(kind, id);
      await removeLabel(app.store, kind, id);
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
    admin(request);
    reply.status(201);
    return createUser(app, request.body);
  });
  server.put('/user/:id', { schema: { body: USER_PATCH } }, async (request) => {
    const who = principal(request);
    const id = idParam(request);
    const patch = request.body;
    if (!who.admin) {
      // Users may change their own name and password (proving the old one), nothing else.
      if (id !== who.userId) throw new AppError(403, 'only admins change other users');
      if (patch.groups !== undefined || patch.disabled !== undefined) throw new AppError(403, 'only admins change groups or disable users');
      if (patch.password !== undefined) {
        const me = await userById(db, id);
        if (!(await verifyPassword(patch.old_password ?? '', me?.password_hash ?? null))) {
          throw new AppError(403, 'old_password is wrong', 'old_password');
        }
      }
    }
    const { old_password: _old, ...rest } = patch;
    return updateUserAccount(app, id, rest);
  });

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
    admin(request);
    reply.status(201);
    return createGroup(app, request.body);
  });
  server.put('/group/:id', { schema: { body: GROUP_PATCH } }, async (request) => {
    admin(request);
    return changeGroup(app, idParam(request), request.body);
  });
  server.delete('/group/:id', async (request) => {
    admin(request);
    const id = idParam(request);
    await removeGroup(app, id);
    return { id, status: 'ok', action: 'delete' };
  });

  server.get('/apikey', async (request) => {
    const rows = await apikeysOf(app, principal(request));
    return envelope(rows, rows.length);
  });
  // SCOT 3 clients post no body: a key for the caller. SCOT 3 named the key it answered `apikey`.
  server.post('/apikey', { schema: { body: APIKEY_INPUT }, preValidation: optionalBody }, async (request, reply) => {
    const who = principal(request);
    const { user, name } = request.body;
    reply.status(201);
    const created = await createApikey(app, who, user ?? who.username, name ?? 'api');
    return { ...created, apikey: created.key };
  });
  server.delete('/apikey/:id', async (request) => {
    const id = idParam(request);
    await revokeApikey(app, principal(request), id);
    return { id, status: 'ok', action: 'revoke' };
  });
}
