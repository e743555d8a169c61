import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, forbidden } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import { principalFromApikey, principalFromSession } from '../app/auth.js';
import type { App } from '../app/context.js';

export const SESSION_COOKIE = 'scot_session';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Routes reachable without signing in: health and login only. */
    public?: boolean;
  }
}

/** Every route needs a session cookie or an API key, except those marked public. */
export function registerAuth(server: FastifyInstance, app: App) {
  server.decorateRequest('principal', null);
  server.addHook('onRequest', async (request) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const cookie = request.cookies[SESSION_COOKIE];
    if (bearer) {
      request.principal = (await principalFromApikey(app, bearer)) ?? null;
      // Health and login answer whatever stale key a client still sends.
      if (!request.principal && !request.routeOptions.config.public) throw new AppError(401, 'API key is not valid or was revoked');
    } else if (cookie) {
      request.principal = (await principalFromSession(app, cookie)) ?? null;
    }
    if (!request.principal && !request.routeOptions.config.public) {
      throw new AppError(401, 'sign in first (POST /scot/api/v2/login) or send Authorization: Bearer <api key>');
    }
  });
}

export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError(401, 'sign in first');
  return request.principal;
}

export function admin(request: FastifyRequest): Principal {
  const who = principal(request);
  if (!who.admin) throw forbidden('only admins may do this');
  return who;
}

/** Browsers send the cookie only over https, except to localhost which they treat as secure. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAge: number) {
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(request.hostname.replace(/:\d+$/, ''));
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https' || local,
    maxAge,
  });
}
