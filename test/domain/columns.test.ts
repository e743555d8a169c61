import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertgroupColumns } from '../../src/app/alertgroup.js';

describe('alertgroupColumns', () => {
  it('takes the keys of the rows in first-seen order when none are given', () => {
    assert.deepEqual(alertgroupColumns([{ b: 1, a: 2 }, { c: 3, a: 4 }, {}, { d: null }]), ['b', 'a', 'c', 'd']);
  });

  it('keeps the given columns first, in their order, then adds keys they miss', () => {
    assert.deepEqual(alertgroupColumns([{ x: 1, host: 'h' }], ['host', 'user']), ['host', 'user', 'x']);
  });

  it('keeps given columns no row has, once each', () => {
    assert.deepEqual(alertgroupColumns([], ['a', 'b', 'a']), ['a', 'b']);
    assert.deepEqual(alertgroupColumns([]), []);
  });

  it('treats unusual keys as plain names', () => {
    assert.deepEqual(alertgroupColumns([{ 'with space': 1, 'dotted.key': 2, '': 3, ключ: 4, '42': 5 }]), [
      '42',
      'with space',
      'dotted.key',
      '',
      'ключ',
    ]);
  });
});
