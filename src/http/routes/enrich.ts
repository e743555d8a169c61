import type { FastifyInstance } from 'fastify';
import type { App } from '../../app/context.js';
import { enrichAgain } from '../../app/enrich.js';
import { principal } from '../auth.js';
import { idParam } from '../params.js';

/** Enrichment on demand: an admin runs an entity's enrichers again. */
export function enrichRoutes(server: FastifyInstance, app: App) {
  server.post('/entity/:id/enrich', async (request, reply) => {
    reply.status(202);
    return enrichAgain(app, principal(request), idParam(request));
  });
}
