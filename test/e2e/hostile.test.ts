import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backends } from '../helpers/backend.js';
import { expectError, expectStatus, postAlertgroup, postEvent, REFERENCE_ALERTGROUP, serverFor } from '../helpers/e2e.js';

/** JSON of a value nested `depth` levels deep, `{"a": {"a": ... 1}}`, written out (JSON.stringify overflows on it). */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const BIG = '2147483648';

for (const backend of await backends()) {
  describe(backend.name, { skip: backend.skip }, () => {
    describe('hostile input', () => {
      const scot = serverFor(backend);

      it('refuses prototype names as filters and sort fields with 400 naming them', async () => {
        for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
          expectError(await scot().admin.get(`/event?${name}=1`), 400, name);
          expectError(await scot().admin.get(`/alert?sort=${encodeURIComponent(JSON.stringify({ [name]: 1 }))}`), 400, 'sort');
          expectError(await scot().admin.get(`/alert?sort=${name}`), 400, 'sort');
        }
        expectError(await scot().admin.get('/alert?sort={"__proto__":1}'), 400, 'sort');
      });

      it('refuses more tags or sort fields than one query can hold with 400 naming them', async () => {
        expectError(
          await scot().admin.get(`/event?tag=${Array.from({ length: 1500 }, (_, i) => `t${i}`).join(',')}`),
          400,
          'tag',
        );
        expectError(await scot().admin.get(`/event?sort=${Array(2500).fill('id').join(',')}`), 400, 'sort');
      });

      it('refuses a body nested deeper than 32 levels, storing nothing', async () => {
        const deep = (depth: number) => `{"subject": "deep", "data": [{"host": ${nested(depth)}}]}`;
        const error = expectError(await scot().admin.post('/alertgroup', deep(5000)), 400);
        assert.match(error.field!, /^data\.0\.host/);
        assert.match(error.error, /32 levels/);
        expectError(await scot().admin.post('/alertgroup', deep(30)), 400, `data.0.host${'.a'.repeat(29)}`);
        assert.equal(expectStatus(await scot().admin.get('/alertgroup'), 200).totalRecordCount, 0);
        // 32 levels in all, the body itself counted: the body, data, the row, and 29 below it.
        await postAlertgroup(scot().admin, { data: [{ host: JSON.parse(nested(29)) }] });
      });

      it('refuses NUL in any string of the body, the query or the path with 400 naming it', async () => {
        const { id } = await postAlertgroup(scot().admin);
        const event = await postEvent(scot().admin);
        const stored = expectStatus(await scot().admin.get('/alertgroup'), 200).totalRecordCount;
        const nul = '\u0000';
        expectError(await scot().admin.post('/alertgroup', { subject: `a${nul}b`, data: [{ host: 'a' }] }), 400, 'subject');
        expectError(
          await scot().admin.post('/alertgroup', { subject: 's', tag: [`x${nul}`], data: [{ host: 'a' }] }),
          400,
          'tag.0',
        );
        expectError(
          await scot().admin.post('/alertgroup', { subject: 's', message_id: nul, data: [{ host: 'a' }] }),
          400,
          'message_id',
        );
        expectError(await scot().admin.post('/alertgroup', { subject: 's', data: [{ [`h${nul}`]: 'a' }] }), 400, 'data.0');
        expectError(
          await scot().admin.post('/entry', { target_type: 'event', target_id: event.id, body: `<p>${nul}</p>` }),
          400,
          'body',
        );
        expectError(await scot().admin.put(`/alertgroup/${id}`, { subject: nul }), 400, 'subject');
        expectError(await scot().admin.get('/event?subject=%00'), 400, 'subject');
        expectError(await scot().admin.get('/event?tag=a%00'), 400, 'tag');
        expectError(await scot().admin.get('/tag?name=a%00'), 400, 'name');
        expectError(await scot().admin.get('/event/1%00'), 400, 'id');
        expectError(await scot().anonymous.post('/login', { username: `admin${nul}`, password: 'x' }), 400, 'username');
        assert.equal(expectStatus(await scot().admin.get('/alertgroup'), 200).totalRecordCount, stored);
        assert.equal(expectStatus(await scot().admin.get(`/alertgroup/${id}`), 200).subject, REFERENCE_ALERTGROUP.subject);
      });

      it('refuses ids and times beyond what a column holds with 400 naming the field', async () => {
        const { id, alerts } = await postAlertgroup(scot().admin);
        const event = await postEvent(scot().admin);
        expectError(await scot().admin.get(`/alert/${BIG}`), 400, 'id');
        expectError(await scot().admin.get(`/alert/${BIG}/history`), 400, 'id');
        expectError(await scot().admin.get('/alert?id=99999999999999999999'), 400, 'id');
        expectError(await scot().admin.get(`/alert?alertgroup=${BIG}`), 400, 'alertgroup');
        expectError(await scot().admin.get('/alert?created=1.5,'), 400, 'created');
        expectError(await scot().admin.get('/alert?created=-1e308,1e308'), 400, 'created');
        expectError(await scot().admin.get('/alert?created=,1e3'), 400, 'created');
        expectError(await scot().admin.get('/alert?offset=99999999999999999999'), 400, 'offset');
        expectError(
          await scot().admin.post('/entry', { target_type: 'event', target_id: Number(BIG), body: 'x' }),
          400,
          'target_id',
        );
        expectError(
          await scot().admin.post('/entry', { target_type: 'event', target_id: event.id, body: 'x', parent: Number(BIG) }),
          400,
          'parent',
        );
        expectError(await scot().admin.put(`/alert/${alerts[0]}`, { promote: Number(BIG) }), 400, 'promote');
        expectError(await scot().admin.put(`/event/${event.id}`, { rev: Number(BIG) }), 400, 'rev');
        expectError(await scot().admin.post('/incident', { subject: 's', occurred: 99999999999999999999 }), 400, 'occurred');
        expectError(await scot().admin.post('/event', { promote_from: { alert: [Number(BIG)] } }), 400, 'promote_from.alert.0');
        // The largest of each still works.
        expectError(await scot().admin.get('/alert/2147483647'), 404);
        assert.equal(
          expectStatus(await scot().admin.get(`/alert?alertgroup=${id}&created=0,253402300799`), 200).totalRecordCount,
          alerts.length,
        );
        expectStatus(await scot().admin.post('/incident', { subject: 's', occurred: 253402300799 }), 201);
      });

      it('marks every answer nosniff, errors and unknown routes too', async () => {
        for (const reply of [
          await scot().anonymous.get('/health'),
          await scot().anonymous.get('/event'),
          await scot().admin.get('/nowhere'),
          await scot().admin.get('/event/abc'),
        ]) {
          assert.equal(reply.headers.get('x-content-type-options'), 'nosniff');
        }
      });
    });
  });
}
