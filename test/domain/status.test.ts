import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertgroupStatus } from '../../src/domain/status.js';

describe('alertgroupStatus', () => {
  it('is open while any alert is open', () => {
    assert.equal(alertgroupStatus({ open: 1, closed: 0, promoted: 0 }), 'open');
    assert.equal(alertgroupStatus({ open: 1, closed: 5, promoted: 5 }), 'open');
  });

  it('is promoted when one was promoted and none is open', () => {
    assert.equal(alertgroupStatus({ open: 0, closed: 0, promoted: 1 }), 'promoted');
    assert.equal(alertgroupStatus({ open: 0, closed: 9, promoted: 1 }), 'promoted');
  });

  it('is closed otherwise, including when it has no alerts', () => {
    assert.equal(alertgroupStatus({ open: 0, closed: 3, promoted: 0 }), 'closed');
    assert.equal(alertgroupStatus({ open: 0, closed: 0, promoted: 0 }), 'closed');
  });
});
