import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertgroupStatus, ALERT_STATUSES, SETTABLE_STATUSES } from '../../src/domain/status.js';

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

  it('only open and closed may be set by hand', () => {
    assert.deepEqual([...SETTABLE_STATUSES], ['open', 'closed']);
    assert.ok(ALERT_STATUSES.includes('promoted'));
  });
});
