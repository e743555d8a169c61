import Fastify, { LogController, type FastifyInstance, type RouteOptions } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { App } from '../app/context.js';
import { registerAuth } from './auth.js';
import { handleError } from './error.js';
import { refuseHostileInput } from './params.js';
import { adminRoutes } from './routes/admin.js';
import { sessionRoutes } from './routes/session.js';
import { workflowRoutes } from './routes/workflow.js';

export const API_PREFIX = '/scot/api/v2';

export interface ServerOptions {
  /** pino log level, or false for no log (tests). */
  logLevel?: string | false;
  /** Hears of every route as it is added: the fuzz test walks them all, new ones included. */
  onRoute?: (route: RouteOptions) => void;
}

/** The HTTP face of SCOT: REST API v2 under /scot/api/v2. */
export async function buildServer(app: App, options: ServerOptions = {}): Promise<FastifyInstance> {
  const server = Fastify({
    logger: options.logLevel === false ? false : { level: options.logLevel ?? app.config.logLevel },
    // Per-request lines would dominate the log at ingest rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: app.config.trustProxy,
    // Alertgroups from busy detection systems can carry thousands of rows.
    bodyLimit: 64 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, verbose: true } },
  });
  if (options.onRoute) server.addHook('onRoute', options.onRoute);
  server.setErrorHandler(handleError);
  // Answers are JSON; a browser must never guess them to be HTML or script.
  server.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  server.addHook('preValidation', async (request) => refuseHostileInput(request));
  server.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: `no such route: ${request.method} ${request.url.split('?')[0]}` });
  });
  await server.register(cookie);
  await server.register(rateLimit, { global: false });
  await server.register(
    async (api) => {
      registerAuth(api, app);
      sessionRoutes(api, app);
      workflowRoutes(api, app);
      adminRoutes(api, app);
    },
    { prefix: API_PREFIX },
  );
  return server;
}
