import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Backend } from './backend.js';
import { startServer, type Client, type Reply, type TestServer, type TestServerOptions } from './server.js';

/**
 * Starts a server over `backend` before the enclosing suite's tests and closes it after them.
 * Call it inside `describe`; the returned function gives the running server.
 */
export function serverFor(backend: Backend, options: TestServerOptions = {}): () => TestServer {
  let server: TestServer | undefined;
  before(async () => {
    server = await startServer(backend, options);
  });
  after(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('the server has not started');
    return server;
  };
}

/** The reply's body, once its status is the one expected (the message shows the body when it is not). */
export function expectStatus(reply: Reply, status: number): any {
  assert.equal(reply.status, status, `expected HTTP ${status}, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** An error answer: the status, and the body `{"error": <message>, "field": <path, when given>}`. */
export function expectError(reply: Reply, status: number, field?: string): { error: string; field?: string } {
  const body = expectStatus(reply, status);
  assert.equal(typeof body, 'object', `error body is not JSON: ${String(body)}`);
  assert.equal(typeof body.error, 'string');
  assert.ok(body.error.length > 0, 'error message is empty');
  if (field !== undefined) assert.equal(body.field, field, `field of error "${body.error}"`);
  return body;
}

/** The reference alertgroup of API.md, exactly as detection systems send it. */
export const REFERENCE_ALERTGROUP = {
  message_id: '32characterMessageId',
  subject: 'Detectotron3k Alert: Bad Stuff Found',
  data: [
    { column1name: 'row1column1value', column2name: 'row1column2value' },
    { column1name: 'row2column1value', column2name: 'row2column2value' },
  ],
  tag: ['your', 'tags', 'here'],
  source: ['detectotron3k', 'ids'],
  columns: ['column1name', 'column2name'],
};

let messages = 0;

/** Posts a variant of the reference alertgroup under a message_id of its own; expects it created. */
export async function postAlertgroup(
  client: Client,
  fields: Record<string, unknown> = {},
): Promise<{ id: number; alerts: number[] }> {
  const body = { ...REFERENCE_ALERTGROUP, message_id: `e2e-${process.pid}-${++messages}`, ...fields };
  const created = expectStatus(await client.post('/alertgroup', body), 201);
  return { id: created.id, alerts: created.alerts };
}

/** The object a write answered with, once its status is the one expected and the write says "ok". */
export function expectWritten(reply: Reply, status = 200): any {
  const body = expectStatus(reply, status);
  assert.equal(body.status, 'ok');
  assert.equal(body.id, body.record.id);
  return body.record;
}

/** Creates an event by hand; expects it created. */
export async function postEvent(client: Client, fields: Record<string, unknown> = {}): Promise<any> {
  return expectWritten(await client.post('/event', { subject: 'an event', ...fields }), 201);
}

/** Writes an entry on an object; expects it created. */
export async function postEntry(client: Client, type: string, id: number, fields: Record<string, unknown> = {}): Promise<any> {
  return expectWritten(await client.post('/entry', { target_type: type, target_id: id, body: '<p>note</p>', ...fields }), 201);
}

/** The audit trail of an object, oldest first. */
export async function historyOf(client: Pick<Client, 'get'>, type: string, id: number): Promise<any[]> {
  return expectStatus(await client.get(`/${type}/${id}/history`), 200).records;
}

/**
 * What an object looks like without counting a view: the list form, which GET of one object
 * would change by bumping `view_count`.
 */
export async function storedForm(client: Pick<Client, 'get'>, type: string, id: number): Promise<any> {
  const list = expectStatus(await client.get(`/${type}?id=${id}`), 200);
  assert.equal(list.records.length, 1, `${type} ${id} is not listed`);
  return list.records[0];
}

/** Ids of the records of a list answer. */
export const idsOf = (reply: Reply): number[] => expectStatus(reply, 200).records.map((r: { id: number }) => r.id);

/** Every route the server has, as [method, path], read from Fastify's route tree (HEAD mirrors GET). */
export function routesOf(server: FastifyInstance): [string, string][] {
  const routes: [string, string][] = [];
  const paths: string[] = [];
  for (const line of server.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    paths[depth] = (depth > 0 ? paths[depth - 1] : '') + match[2];
    for (const method of match[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push([method, paths[depth]]);
  }
  return routes;
}
