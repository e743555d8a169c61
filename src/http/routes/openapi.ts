import type { FastifyInstance } from 'fastify';
import { principal } from '../auth.js';

/** The API described as OpenAPI 3, generated from the same schemas the routes validate requests with. */
export function openapiRoutes(server: FastifyInstance) {
  server.get('/openapi.json', async (request) => {
    principal(request);
    return server.swagger();
  });
}
