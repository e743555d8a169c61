import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canModify, canRead, type Groups, type Principal } from '../../src/domain/principal.js';

const who = (groups: string[], admin = false): Principal => ({ userId: 1, username: 'u', groups, admin });
const object: Groups = { read: ['ir-readonly', 'auditors'], modify: ['ir'] };

describe('canRead', () => {
  it('allows members of a read group', () => {
    assert.equal(canRead(who(['auditors']), object), true);
    assert.equal(canRead(who(['x', 'ir-readonly']), object), true);
  });

  it('allows members of a modify group, who need not be in a read group', () => {
    assert.equal(canRead(who(['ir']), object), true);
  });

  it('refuses everyone else, including users without groups', () => {
    assert.equal(canRead(who(['hr']), object), false);
    assert.equal(canRead(who([]), object), false);
    assert.equal(canRead(who(['IR']), object), false, 'group names are case-sensitive');
  });

  it('an admin reads everything, even objects without groups', () => {
    assert.equal(canRead(who([], true), object), true);
    assert.equal(canRead(who([], true), { read: [], modify: [] }), true);
    assert.equal(canRead(who(['ir']), { read: [], modify: [] }), false);
  });
});

describe('canModify', () => {
  it('allows only members of a modify group', () => {
    assert.equal(canModify(who(['ir']), object), true);
    assert.equal(canModify(who(['hr', 'ir']), object), true);
    assert.equal(canModify(who(['auditors', 'ir-readonly']), object), false, 'reading is not changing');
    assert.equal(canModify(who([]), object), false);
  });

  it('an admin changes everything', () => {
    assert.equal(canModify(who([], true), object), true);
  });
});
