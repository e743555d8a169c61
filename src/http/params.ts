import { badInput } from '../domain/error.js';
import type { RawQuery } from '../app/list.js';
import type { FastifyRequest } from 'fastify';

/** The `:id` of a path, as a positive integer. */
export function idParam(request: FastifyRequest, name = 'id'): number {
  const raw = (request.params as Record<string, string>)[name];
  const id = Number(raw);
  if (!/^\d+$/.test(raw ?? '') || !Number.isSafeInteger(id) || id < 1) throw badInput(name, `${name} must be a positive whole number, got "${raw}"`);
  return id;
}

export const queryOf = (request: FastifyRequest) => request.query as RawQuery;
