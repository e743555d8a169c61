import { login, logout } from '../../app/auth.js';
import type { App } from '../../app/context.js';
import { presentUser } from '../../app/user.js';
import { principal, SESSION_COOKIE, setSessionCookie } from '../auth.js';
import { LOGIN_INPUT } from '../../domain/input/account.js';
import type { ApiServer } from '../server.js';

/** Health, sign in and out, and who the caller is. */
export function sessionRoutes(server: ApiServer, app: App) {
  server.get('/health', { config: { public: true } }, async () => ({ status: 'ok' }));

  server.post(
    '/login',
    {
      schema: { body: LOGIN_INPUT },
      config: { public: true, rateLimit: { max: 20, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const session = await login(app, username, password);
      setSessionCookie(request, reply, session.token, session.expires - app.now());
      return { status: 'ok', username: session.principal.username, groups: session.principal.groups, expires: session.expires };
    },
  );

  // Not public: only health and login are (API.md); a caller whose session is gone gets 401 like anywhere else.
  server.post('/logout', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await logout(app, token);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { status: 'ok' };
  });

  server.get('/whoami', async (request) => {
    const who = principal(request);
    return { ...(await presentUser(app, who.userId)), admin: who.admin };
  });
}
