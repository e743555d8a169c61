import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import rateLimit from '@fastify/rate-limit';
import type { App } from '../app/context.js';
import { flushViews, VIEW_FLUSH_SECONDS } from '../app/viewing.js';
import { registerAuth } from './auth.js';
import { handleError } from './error.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { enrichRoutes } from './routes/enrich.js';
import { entityRoutes } from './routes/entity.js';
import { openapiRoutes } from './routes/openapi.js';
import { sessionRoutes } from './routes/session.js';
import { workflowRoutes } from './routes/workflow.js';

export const API_PREFIX = '/scot/api/v2';

export interface ServerOptions {
  /** pino log level, or false for no log (tests). */
  logLevel?: string | false;
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
  server.setErrorHandler(handleError);
  server.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: `no such route: ${request.method} ${request.url.split('?')[0]}` });
  });
  // Views are counted in memory and stored in batches, so that reading an object never writes.
  const viewFlusher = setInterval(() => {
    flushViews(app).catch((err) => server.log.error({ err }, 'storing views failed'));
  }, VIEW_FLUSH_SECONDS * 1000);
  viewFlusher.unref();
  server.addHook('onClose', async () => {
    clearInterval(viewFlusher);
    await flushViews(app);
  });
  // Registered before the routes: it describes each route from the schemas it validates with.
  await server.register(swagger, {
    openapi: {
      info: { title: 'SCOT REST API', version: '2', description: 'Incident response: alertgroups, alerts, events, incidents, entries.' },
      servers: [{ url: '/' }],
    },
  });
  await server.register(cookie);
  await server.register(rateLimit, { global: false });
  await server.register(
    async (api) => {
      registerAuth(api, app);
      sessionRoutes(api, app);
      workflowRoutes(api, app);
      adminRoutes(api, app);
      auditRoutes(api, app);
      entityRoutes(api, app);
      enrichRoutes(api, app);
      openapiRoutes(api);
    },
    { prefix: API_PREFIX },
  );
  return server;
}
