import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteOptions } from 'fastify';
import { backends } from '../helpers/backend.js';
import { expectStatus, postAlertgroup, postEntry, postEvent, serverFor } from '../helpers/e2e.js';

/**
 * Every route the server has, found as it adds them (so routes added later are fuzzed too), gets
 * a fixed corpus of hostile values in each path parameter, query parameter and body field, and
 * hostile bodies as a whole, signed in as admin and not signed in. None may answer 5xx.
 */

interface Route {
  method: string;
  url: string;
  body?: Schema;
}
type Schema = { properties?: Record<string, Schema> };

/** What a hostile client puts in a path or query parameter (percent-encoded where it must be). */
const HOSTILE_TEXT = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '%00',
  'a%00b',
  '2147483648',
  '-1',
  '0',
  '1.5',
  '1e308',
  '-1e308',
  '99999999999999999999',
  '%FF%FE',
  '%C0%AF',
  'x'.repeat(5000),
  '{"__proto__":1}',
  '{"constructor":1}',
  '[1',
  '[]',
  ',',
  '!',
  '',
];

/** JSON written out: JSON.stringify itself overflows on it. */
const DEEP = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;

/** What a hostile client puts in a body field: prototype names, NUL, huge and odd numbers, wrong types. */
const HOSTILE_VALUES: unknown[] = [
  '__proto__',
  'constructor',
  'toString',
  '\u0000',
  'a\u0000b',
  2147483648,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  99999999999999999999,
  'x'.repeat(100_000),
  '',
  null,
  true,
  [],
  {},
  ['\u0000'],
  [2147483648],
  { __proto__: 1 },
  { constructor: { prototype: 1 } },
  JSON.parse('{"__proto__": {"admin": true}}'),
  JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`),
];

/** Whole bodies no parser should trust: broken JSON, invalid UTF-8, deep nesting, prototype pollution. */
const HOSTILE_BODIES: { type: string; body: string | Uint8Array<ArrayBuffer> }[] = [
  { type: 'application/json', body: '{"a":' },
  { type: 'application/json', body: '' },
  { type: 'application/json', body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]) },
  { type: 'application/json', body: new Uint8Array([0xff, 0xfe, 0x00, 0x7b]) },
  { type: 'application/json', body: DEEP },
  { type: 'application/json', body: `[${'['.repeat(5000)}${']'.repeat(5000)}]` },
  { type: 'application/json', body: '{"__proto__": {"admin": true}}' },
  { type: 'application/json', body: '{"constructor": {"prototype": {"admin": true}}}' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '[]' },
  { type: 'application/json', body: '"\\u0000"' },
  { type: 'application/json; charset=utf-16', body: '{}' },
  { type: 'text/plain', body: 'a\u0000b' },
  { type: 'application/x-www-form-urlencoded', body: 'constructor=1' },
];

/** Query names lists and sub-collections read, and some no route knows. */
const QUERY_NAMES = [
  'limit',
  'offset',
  'after',
  'sort',
  'columns',
  'deleted',
  'id',
  'status',
  'owner',
  'tag',
  'source',
  'created',
  'subject',
  'name',
  'alertgroup',
  'target_id',
  'views',
  'withsubject',
  'seen',
  'flat',
  'constructor',
  '__proto__',
];

/** Requests that run at once: enough to overlap, few enough for a shared machine. */
const PARALLEL = 8;

/** Body field paths of a schema, nested objects too: `subject`, `promote_from.alert`. */
function fieldPaths(schema: Schema | undefined, prefix: string[] = []): string[][] {
  return Object.entries(schema?.properties ?? {}).flatMap(([name, sub]) => [
    [...prefix, name],
    ...fieldPaths(sub, [...prefix, name]),
  ]);
}

function bodyWith(path: string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** The route's path with `:name` parameters filled, one of them (or none) with `hostile`. */
function pathOf(url: string, hostile?: { name: string; value: string }): string {
  return url.replace(/:(\w+)/g, (_, name: string) => (hostile?.name === name ? hostile.value : '2147483647'));
}

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    describe('fuzzing every route', () => {
      const routes: Route[] = [];
      const onRoute = (route: RouteOptions) => {
        for (const method of [route.method].flat()) {
          if (method !== 'HEAD')
            routes.push({ method, url: route.url, body: (route.schema?.body as Schema | undefined) ?? undefined });
        }
      };
      const scot = serverFor(backend, { onRoute });

      it('answers hostile input on every route with less than 500, and still answers /health after', async () => {
        // Objects with id 1 of each kind, so sub-collections get as far as reading their query.
        const { id } = await postAlertgroup(scot().admin);
        const event = await postEvent(scot().admin);
        await postEntry(scot().admin, 'event', event.id);
        expectStatus(await scot().admin.post('/incident', { subject: 'i' }), 201);
        assert.ok(routes.length > 50, `only ${routes.length} routes were found`);

        const base = scot().base.replace(/\/scot\/api\/v2$/, '');
        const key = scot().admin.auth.key;
        type Try = { method: string; path: string; type?: string; body?: string | Uint8Array<ArrayBuffer>; signedIn: boolean };
        const tries: Try[] = [];
        routes.forEach((route, r) => {
          const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]);
          const carriesBody = route.method === 'POST' || route.method === 'PUT';
          for (const name of params) {
            for (const value of HOSTILE_TEXT) {
              tries.push({ method: route.method, path: pathOf(route.url, { name, value }), signedIn: true });
            }
          }
          if (route.method === 'GET') {
            const path = route.url.replace(/:(\w+)/g, (_, name: string) => (name === 'id' ? String(id) : '1'));
            // An eighth of the values per name and route, another eighth on the next route: routes share
            // their query parsing, so every name still meets every value, in an eighth of the time.
            QUERY_NAMES.forEach((name, n) => {
              const values = HOSTILE_TEXT.filter((_, v) => (v + n + r) % 8 === 0);
              for (const value of values) tries.push({ method: 'GET', path: `${path}?${name}=${value}`, signedIn: true });
            });
            for (const value of HOSTILE_TEXT)
              tries.push({ method: 'GET', path: `${path}?${value}=1&sort=${value}&sort=id`, signedIn: true });
          }
          if (carriesBody) {
            const path = pathOf(route.url);
            // Half the values per field, the other half on the next route: fields share their schema
            // definitions (id, name, epoch), so each kind of field meets every value.
            for (const [f, field] of [...fieldPaths(route.body), ['no_such_field']].entries()) {
              for (const value of HOSTILE_VALUES.filter((_, v) => (v + f + r) % 2 === 0)) {
                tries.push({
                  method: route.method,
                  path,
                  type: 'application/json',
                  body: JSON.stringify(bodyWith(field, value)),
                  signedIn: true,
                });
              }
            }
            for (const { type, body } of HOSTILE_BODIES) tries.push({ method: route.method, path, type, body, signedIn: true });
          }
          // Not signed in: the same hostile parameters and bodies meet the sign-in check first.
          for (const value of HOSTILE_TEXT.slice(0, 8)) {
            tries.push({
              method: route.method,
              path: `${pathOf(route.url, { name: params[0] ?? '', value })}?${value}=${value}`,
              signedIn: false,
            });
          }
          if (carriesBody)
            for (const { type, body } of HOSTILE_BODIES)
              tries.push({ method: route.method, path: pathOf(route.url), type, body, signedIn: false });
        });

        const failures: string[] = [];
        for (let i = 0; i < tries.length; i += PARALLEL) {
          await Promise.all(
            tries.slice(i, i + PARALLEL).map(async (t) => {
              const headers: Record<string, string> = {};
              if (t.signedIn) headers.authorization = `Bearer ${key}`;
              if (t.type) headers['content-type'] = t.type;
              const body = typeof t.body === 'string' || t.body === undefined ? t.body : new Blob([t.body]);
              const res = await fetch(base + t.path, { method: t.method, headers, body });
              const text = await res.text();
              if (res.status >= 500)
                failures.push(
                  `${t.method} ${t.path.slice(0, 200)} ${String(t.body ?? '').slice(0, 200)} -> ${res.status} ${text.slice(0, 200)}`,
                );
            }),
          );
        }
        assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${tries.length} requests answered 5xx`);
        assert.ok(tries.length > 5000, `only ${tries.length} requests were sent`);
        expectStatus(await scot().anonymous.get('/health'), 200);
        expectStatus(await scot().admin.get('/whoami'), 200);
      });
    });
  });
}
