import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { deleteObject, updateObject } from '../../src/app/object.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, storedRow, useFixture } from '../helpers/store.js';

for (const backend of await backends()) {
  describe(`${backend.name}: alertgroup counters`, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);

    it('an alertgroup undeleted with an alert deleted in the same second counts that alert again', async () => {
      const { app } = fixture();
      const group = await ingestAlertgroup(app, ADMIN, {
        subject: 'three hosts',
        data: [{ host: 'a' }, { host: 'b' }, { host: 'c' }],
      });
      await deleteObject(app, ADMIN, 'alert', group.alerts[0]);
      await deleteObject(app, ADMIN, 'alertgroup', group.id);
      await updateObject(app, ADMIN, 'alertgroup', group.id, { undelete: true });
      // Deleted at the same time as its alertgroup, the alert is restored with it.
      assert.equal((await storedRow(app, 'alert', group.alerts[0])).deleted_at, null);
      const stored = await storedRow(app, 'alertgroup', group.id);
      assert.deepEqual(
        [stored.status, stored.alert_count, stored.open_count, stored.closed_count, stored.promoted_count],
        ['open', 3, 3, 0, 0],
      );
    });

    it('closing an alert changes the alertgroup counters but not its rev, so a save of its subject still applies', async () => {
      const { app } = fixture();
      const group = await ingestAlertgroup(app, ADMIN, { subject: 'two hosts', data: [{ host: 'a' }, { host: 'b' }] });
      const before = await storedRow(app, 'alertgroup', group.id);
      await updateObject(app, ADMIN, 'alert', group.alerts[0], { status: 'closed' });
      await updateObject(app, ADMIN, 'alert', group.alerts[1], { status: 'closed' });
      const closed = await storedRow(app, 'alertgroup', group.id);
      assert.deepEqual([closed.status, closed.closed_count, closed.rev], ['closed', 2, before.rev]);
      await updateObject(app, ADMIN, 'alertgroup', group.id, { rev: before.rev, subject: 'two hosts, both fine' });
      assert.equal((await storedRow(app, 'alertgroup', group.id)).subject, 'two hosts, both fine');
    });
  });
}
