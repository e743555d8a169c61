import type { FastifyRequest } from 'fastify';
import { MAX_ID } from '../domain/catalog.js';
import { badInput } from '../domain/error.js';
import type { RawQuery } from '../app/list.js';

/** How deep a body may nest, itself counted: SCOT's own shapes need 4 levels, alert data may use the rest. */
export const MAX_DEPTH = 32;

/** The `:id` of a path, as a positive integer an id column can hold. */
export function idParam(request: FastifyRequest, name = 'id'): number {
  const raw = (request.params as Record<string, string>)[name];
  const id = Number(raw);
  if (!/^\d+$/.test(raw ?? '') || id < 1 || id > MAX_ID) {
    throw badInput(name, `${name} must be a whole number from 1 to ${MAX_ID}, got "${raw}"`);
  }
  return id;
}

export const queryOf = (request: FastifyRequest) => request.query as RawQuery;

/**
 * Refuses, once for every route, what no field may hold: NUL, which PostgreSQL text cannot store
 * (so both engines refuse it alike), and a body nested deeper than MAX_DEPTH, which would
 * overflow the stack of whatever walks it next (JSON.stringify on the way to the store).
 */
export function refuseHostileInput(request: FastifyRequest): void {
  for (const [name, value] of Object.entries((request.params ?? {}) as Record<string, string>)) refuseNul(value, name);
  for (const [name, value] of Object.entries((request.query ?? {}) as RawQuery)) {
    refuseNul(name, name);
    for (const v of [value ?? ''].flat()) refuseNul(v, name);
  }
  checkBody(request.body, null, 1);
}

const nulIn = (field: string) => badInput(field, `${field} holds a NUL character, which SCOT does not store`);

function refuseNul(text: string, field: string) {
  if (text.includes('\0')) throw nulIn(field);
}

/** Where in the body a value is; spelled out (`data.0.host`) only for an error. */
type Place = { up: Place; key: string } | null;
const fieldAt = (place: Place): string => (place?.up ? `${fieldAt(place.up)}.${place.key}` : (place?.key ?? '(body)'));

function checkBody(value: unknown, place: Place, depth: number) {
  if (typeof value === 'string') {
    if (value.includes('\0')) throw nulIn(fieldAt(place));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_DEPTH)
    throw badInput(fieldAt(place), `${fieldAt(place)} is nested too deep: a body may nest ${MAX_DEPTH} levels`);
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\0')) throw nulIn(fieldAt(place));
    // Numbers and booleans, most of an alertgroup, need no place of their own.
    if (typeof item === 'object' || typeof item === 'string') checkBody(item, { up: place, key }, depth + 1);
  }
}
