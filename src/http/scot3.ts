import { parse as parseQuery } from 'node:querystring';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fromScot3, type Scot3Kind } from '../domain/input/scot3.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Fields renamed from SCOT 3's spelling: [SCOT's path, the path as sent]. */
    sentAs: [string, string][] | null;
  }
}

/** A form value holding JSON is that JSON, as SCOT 3 read it; anything else stays text. */
function formValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Form fields; a field given several times is a list. */
function parseForm(body: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(parseQuery(body)).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.map(formValue) : formValue(value ?? ''),
    ]),
  );
}

/**
 * Bodies as SCOT 3 read them: JSON whatever the content type says (or when there is none), form
 * fields whose values may be JSON, and an empty body where nothing needs to be said.
 */
export async function registerScot3Bodies(server: FastifyInstance) {
  const json = server.getDefaultJsonParser('error', 'error');
  const jsonOrNothing = (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) =>
    body.length === 0 ? done(null, undefined) : json(request, body, done);
  server.removeContentTypeParser(['application/json', 'text/plain']);
  server.addContentTypeParser('application/json', { parseAs: 'string' }, jsonOrNothing);
  server.addContentTypeParser('*', { parseAs: 'string' }, jsonOrNothing);
  await server.register(formbody, { parser: parseForm });
  server.decorateRequest('sentAs', null);
}

/** A route hook mapping SCOT 3's spellings of a `kind` input to SCOT's before it is checked. */
export const scot3Input = (kind: Scot3Kind) => async (request: FastifyRequest) => {
  const { input, sentAs } = fromScot3(kind, request.body);
  request.body = input;
  request.sentAs = sentAs;
};

/** A route hook for a body that may be left out: none means `{}`. */
export const optionalBody = async (request: FastifyRequest) => {
  request.body ??= {};
};
