import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, forbidden } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';
import { principalFromApikey, principalFromBasic, principalFromSession } from '../app/auth.js';
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

type Credential = { apikey: string } | { username: string; secret: string };

/**
 * What an Authorization header carries: an API key (`Bearer <key>`, SCOT 3's `apikey <key>`, or
 * Basic with the key alone), or HTTP Basic credentials whose secret is a password or an API key.
 */
function credentialOf(header: string | undefined): Credential | undefined {
  const [, scheme, value] = /^(\S+)\s+(\S+)$/.exec(header?.trim() ?? '') ?? [];
  switch (scheme?.toLowerCase()) {
    case 'bearer':
    case 'apikey':
      return { apikey: value };
    case 'basic': {
      // SCOT 3's ScotClient, given an API key, sends the key alone in Basic, with no username.
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon < 0 ? { apikey: decoded } : { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    }
    default:
      return undefined;
  }
}

/**
 * Wrong Basic credentials one address may send in a minute; then it is refused unchecked until the
 * minute is over. Login limits guesses the same way, and Basic must not be a way around it.
 */
const BASIC_FAILURES_PER_MINUTE = 20;

/** Wrong Basic credentials per address in the current minute of each. */
class BasicFailures {
  private readonly byAddress = new Map<string, { since: number; count: number }>();

  blocked(address: string, now: number): boolean {
    const seen = this.byAddress.get(address);
    return seen !== undefined && now - seen.since < 60 && seen.count >= BASIC_FAILURES_PER_MINUTE;
  }

  count(address: string, now: number) {
    const seen = this.byAddress.get(address);
    if (seen && now - seen.since < 60) seen.count += 1;
    else {
      if (this.byAddress.size > 10_000) this.byAddress.clear();
      this.byAddress.set(address, { since: now, count: 1 });
    }
  }
}

/** Every route needs a session cookie, an API key or Basic credentials, except those marked public. */
export function registerAuth(server: FastifyInstance, app: App) {
  server.decorateRequest('principal', null);
  const failures = new BasicFailures();
  server.addHook('onRequest', async (request) => {
    const credential = credentialOf(request.headers.authorization);
    const cookie = request.cookies[SESSION_COOKIE];
    if (credential && 'apikey' in credential) {
      request.principal = (await principalFromApikey(app, credential.apikey)) ?? null;
      // Health and login answer whatever stale key a client still sends.
      if (!request.principal && !request.routeOptions.config.public)
        throw new AppError(401, 'API key is not valid or was revoked');
    } else if (credential) {
      if (failures.blocked(request.ip, app.now()))
        throw new AppError(429, 'too many wrong passwords from this address; wait a minute');
      request.principal = (await principalFromBasic(app, credential.username, credential.secret)) ?? null;
      if (!request.principal) {
        failures.count(request.ip, app.now());
        throw new AppError(401, 'wrong username, password or API key');
      }
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
