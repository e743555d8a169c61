import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMIT, listParam, MAX_LIMIT, parseListQuery, parsePage, type RawQuery } from '../../src/app/list.js';
import type { WorkflowType } from '../../src/domain/catalog.js';
import { AppError } from '../../src/domain/error.js';

/** Asserts that parsing fails with a 400 naming `field`. */
function refuses(type: WorkflowType, q: RawQuery, field: string) {
  assert.throws(
    () => parseListQuery(type, q),
    (err: unknown) => err instanceof AppError && err.statusCode === 400 && err.field === field,
    `${JSON.stringify(q)} should be refused on ${field}`,
  );
}

describe('parseListQuery', () => {
  it('defaults to the newest first, one page, not deleted', () => {
    assert.deepEqual(parseListQuery('event', {}), {
      filters: [],
      labels: [],
      sort: [{ column: 'id', desc: true }],
      limit: DEFAULT_LIMIT,
      offset: 0,
      deleted: false,
      columns: undefined,
      after: undefined,
    });
  });

  it('turns fields into filters on their columns', () => {
    const q = parseListQuery('alert', { status: 'open,closed', alertgroup: '3', created: '100,200', owner: ['a', 'b'] });
    assert.deepEqual(q.filters, [
      { column: 'status', kind: 'exact', values: ['open', 'closed'] },
      { column: 'alertgroup_id', kind: 'int', values: ['3'] },
      { column: 'created', kind: 'time', values: ['100', '200'] },
      { column: 'owner', kind: 'exact', values: ['a', 'b'] },
    ]);
    assert.deepEqual(parseListQuery('event', { subject: 'a%b' }).filters, [
      { column: 'subject', kind: 'contains', values: ['a%b'] },
    ]);
    assert.deepEqual(parseListQuery('event', { created: ',200' }).filters, [
      { column: 'created', kind: 'time', values: ['', '200'] },
    ]);
  });

  it('reads tag and source filters in every form, each name required, !name excluded', () => {
    const has = (kind: string, name: string) => ({ kind, name, present: true });
    assert.deepEqual(parseListQuery('event', { tag: 'a, b', source: '["x","y"]' }).labels, [
      has('tag', 'a'),
      has('tag', 'b'),
      has('source', 'x'),
      has('source', 'y'),
    ]);
    assert.deepEqual(parseListQuery('incident', { tag: ['a', 'b,c'] }).labels, [
      has('tag', 'a'),
      has('tag', 'b'),
      has('tag', 'c'),
    ]);
    assert.deepEqual(parseListQuery('alert', { tag: 'a,!b', source: '!x' }).labels, [
      has('tag', 'a'),
      { kind: 'tag', name: 'b', present: false },
      { kind: 'source', name: 'x', present: false },
    ]);
  });

  it('reads the list parameters SCOT 3 clients send', () => {
    assert.deepEqual(parseListQuery('event', { sort: ['{"created":-1}', '-id'] }).sort, [
      { column: 'created', desc: true },
      { column: 'id', desc: true },
    ]);
    assert.deepEqual(parseListQuery('alert', { id: ['1', '2'], withsubject: '1' }).filters, [
      { column: 'id', kind: 'int', values: ['1', '2'] },
    ]);
    assert.deepEqual(parseListQuery('event', { id: '[3,4]' }).filters, [{ column: 'id', kind: 'int', values: ['3', '4'] }]);
    assert.deepEqual(parseListQuery('event', { columns: ['subject', 'status'] }).columns, ['subject', 'status']);
    assert.deepEqual(parseListQuery('event', { columns: '["subject","views"]' }).columns, ['subject', 'views']);
    assert.equal(parseListQuery('event', { limit: '0' }).limit, MAX_LIMIT);
    for (const type of ['alertgroup', 'event', 'incident'] as const) {
      const q = parseListQuery(type, { views: '3', sort: '-views' });
      assert.deepEqual(
        [q.filters, q.sort],
        [[{ column: 'view_count', kind: 'int', values: ['3'] }], [{ column: 'view_count', desc: true }]],
      );
    }
  });

  it('sorts by several fields, in the plain and the JSON form', () => {
    assert.deepEqual(parseListQuery('event', { sort: '-created,+subject,id' }).sort, [
      { column: 'created', desc: true },
      { column: 'subject', desc: false },
      { column: 'id', desc: false },
    ]);
    assert.deepEqual(parseListQuery('entry', { sort: '{"parent":-1,"id":1}' }).sort, [
      { column: 'parent_id', desc: true, nullable: true },
      { column: 'id', desc: false },
    ]);
  });

  it('takes a cursor with after, never together with offset', () => {
    assert.equal(parseListQuery('alert', { after: 'abc' }).after, 'abc');
    assert.throws(() => parseListQuery('alert', { after: 'abc', offset: '50' }), { field: 'offset' });
    assert.throws(() => parseListQuery('alert', { after: '' }), { field: 'after' });
    assert.throws(() => parseListQuery('alert', { after: ['a', 'b'] }), { field: 'after' });
  });

  it('reads paging, columns and deleted', () => {
    const q = parseListQuery('event', { limit: '1000', offset: '20', columns: 'subject,tag', deleted: '1' });
    assert.deepEqual([q.limit, q.offset, q.columns, q.deleted], [MAX_LIMIT, 20, ['subject', 'tag'], true]);
    assert.equal(parseListQuery('event', { deleted: 'false' }).deleted, false);
    assert.equal(parseListQuery('event', { limit: '' }).limit, DEFAULT_LIMIT);
  });

  it('refuses unknown fields, naming them', () => {
    refuses('event', { colour: 'red' }, 'colour');
    refuses('event', { withsubject: '1' }, 'withsubject');
    refuses('alert', { withsubject: 'yes' }, 'withsubject');
    refuses('alert', { views: '1' }, 'views');
    refuses('entry', { sort: 'views' }, 'sort');
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      refuses('event', { [name]: '1' }, name);
      refuses('event', { sort: name }, 'sort');
      refuses('event', { sort: `{"${name}":1}` }, 'sort');
    }
    refuses('alert', { subject: 'x' }, 'subject');
    refuses('event', { alertgroup: '1' }, 'alertgroup');
  });

  it('refuses bad paging', () => {
    refuses('event', { limit: '-1' }, 'limit');
    refuses('event', { limit: String(MAX_LIMIT + 1) }, 'limit');
    refuses('event', { limit: '10.5' }, 'limit');
    refuses('event', { limit: 'ten' }, 'limit');
    refuses('event', { limit: ['10', '20'] }, 'limit');
    refuses('event', { offset: '-1' }, 'offset');
  });

  it('refuses bad filter values', () => {
    refuses('event', { id: '1,x' }, 'id');
    refuses('event', { id: '-1' }, 'id');
    refuses('event', { status: '' }, 'status');
    refuses('event', { owner: ',' }, 'owner');
    refuses('event', { created: 'yesterday' }, 'created');
    refuses('event', { created: '1,2,3' }, 'created');
    refuses('event', { created: ['1', '2'] }, 'created');
    refuses('event', { tag: '[not json' }, 'tag');
    refuses('event', { tag: '' }, 'tag');
    refuses('event', { source: '[]' }, 'source');
    refuses('event', { tag: '!' }, 'tag');
    refuses('event', { tag: Array.from({ length: 2000 }, (_, i) => `t${i}`).join(',') }, 'tag');
    refuses('event', { tag: Array(30).fill('a').join(','), source: Array(30).fill('b').join(',') }, 'source');
    assert.equal(parseListQuery('event', { tag: Array(50).fill('a').join(',') }).labels.length, 50);
    refuses('event', { id: '2147483648' }, 'id');
    refuses('event', { created: '1.5,' }, 'created');
    refuses('event', { created: '-1e308,1e308' }, 'created');
    refuses('event', { updated: ',253402300800' }, 'updated');
  });

  it('refuses bad sorts and deleted flags', () => {
    refuses('event', { sort: 'nonsense' }, 'sort');
    refuses('event', { sort: '{"created":' }, 'sort');
    refuses('event', { sort: '{"data":1}' }, 'sort');
    refuses('event', { sort: ['id', 'colour'] }, 'sort');
    refuses('event', { sort: Array(3000).fill('id').join(',') }, 'sort');
    refuses('event', { deleted: 'yes' }, 'deleted');
  });
});

describe('listParam and parsePage', () => {
  it('splits, trims and drops empty values', () => {
    assert.deepEqual(listParam({ a: ' x , ,y ' }, 'a'), ['x', 'y']);
    assert.deepEqual(listParam({ a: '[1, "two"]' }, 'a'), ['1', 'two']);
    assert.deepEqual(listParam({}, 'a'), []);
  });

  it('pages with defaults', () => {
    assert.deepEqual(parsePage({}), { limit: DEFAULT_LIMIT, offset: 0 });
    assert.deepEqual(parsePage({ limit: '5', offset: '10' }), { limit: 5, offset: 10 });
    assert.deepEqual(parsePage({ limit: '0' }), { limit: MAX_LIMIT, offset: 0 });
  });
});
