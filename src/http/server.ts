import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawServerDefault,
  type RouteOptions,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import type { App } from '../app/context.js';
import { flushViews, VIEW_FLUSH_SECONDS } from '../app/viewing.js';
import { registerAuth } from './auth.js';
import { registerScot3Bodies } from './scot3.js';
import { errorBody, handleError } from './error.js';
import { refuseHostileInput } from './params.js';
import { answerClientError } from './client-error.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { enrichRoutes } from './routes/enrich.js';
import { entityRoutes } from './routes/entity.js';
import { openapiRoutes } from './routes/openapi.js';
import { searchRoutes } from './routes/search.js';
import { sessionRoutes } from './routes/session.js';
import { MAX_CLIENT_MESSAGE_BYTES, streamRoutes, type StreamOptions } from './routes/stream.js';
import { workflowRoutes } from './routes/workflow.js';

export const API_PREFIX = '/scot/api/v2';

/** The API's Fastify instance: route bodies are typed from their TypeBox schemas. */
export type ApiServer = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServerOptions {
  /** pino log level, or false for no log (tests). */
  logLevel?: string | false;
  /** Hears of every route as it is added: the fuzz test walks them all, new ones included. */
  onRoute?: (route: RouteOptions) => void;
  /** How the change stream treats its clients (tests shorten its timers). */
  stream?: Partial<StreamOptions>;
  /** How often views noted in memory are stored (default VIEW_FLUSH_SECONDS); tests flush when they choose. */
  viewFlushSeconds?: number;
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
    clientErrorHandler: answerClientError,
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
    reply.status(404).send(errorBody(`no such route: ${request.method} ${request.url.split('?')[0]}`));
  });
  // Views are counted in memory and stored in batches, so that reading an object never writes.
  const viewFlusher = setInterval(
    () => {
      flushViews(app).catch((err) => server.log.error({ err }, 'storing views failed'));
    },
    (options.viewFlushSeconds ?? VIEW_FLUSH_SECONDS) * 1000,
  );
  viewFlusher.unref();
  server.addHook('onClose', async () => {
    clearInterval(viewFlusher);
    await flushViews(app);
  });
  // Registered before the routes: it describes each route from the schemas it validates with.
  await server.register(swagger, {
    openapi: {
      info: {
        title: 'SCOT REST API',
        version: '2',
        description: 'Incident response: alertgroups, alerts, events, incidents, entries.',
      },
      servers: [{ url: '/' }],
    },
  });
  await server.register(cookie);
  await server.register(rateLimit, { global: false });
  await server.register(websocket, { options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES } });
  await server.register(
    async (plain) => {
      const api: ApiServer = plain.withTypeProvider<TypeBoxTypeProvider>();
      await registerScot3Bodies(api);
      registerAuth(api, app);
      sessionRoutes(api, app);
      workflowRoutes(api, app);
      adminRoutes(api, app);
      auditRoutes(api, app);
      entityRoutes(api, app);
      streamRoutes(api, app, options.stream);
      searchRoutes(api, app);
      enrichRoutes(api, app);
      openapiRoutes(api);
    },
    { prefix: API_PREFIX },
  );
  return server;
}
