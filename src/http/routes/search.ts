import type { FastifyInstance } from 'fastify';
import type { App } from '../../app/context.js';
import { searchObjects } from '../../app/search.js';
import { principal } from '../auth.js';
import { queryOf } from '../params.js';

/** Full-text search over what the caller may read; `/esearch?qstring=` answers SCOT 3 clients the same. */
export function searchRoutes(server: FastifyInstance, app: App) {
  server.get('/search', async (request) => searchObjects(app, principal(request), queryOf(request), 'q'));

  server.get('/esearch', async (request) => searchObjects(app, principal(request), queryOf(request), 'qstring'));
}
