import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ingestAlertgroup } from '../../src/app/alertgroup.js';
import { getObject } from '../../src/app/object.js';
import { MAX_REMEMBERED_LABELS, RememberedLabels, rememberedLabels } from '../../src/store/label.js';
import { backends } from '../helpers/backend.js';
import { ADMIN, as, useFixture } from '../helpers/store.js';

describe('remembered label ids', () => {
  it('forget the least recently used name once the limit is reached', () => {
    const memory = new RememberedLabels(3);
    memory.set('a', 1);
    memory.set('b', 2);
    memory.set('c', 3);
    assert.equal(memory.get('a'), 1, 'a is now the most recently used');
    memory.set('d', 4);
    assert.equal(memory.size, 3);
    assert.equal(memory.get('b'), undefined, 'b was the least recently used');
    assert.deepEqual(
      ['a', 'c', 'd'].map((n) => memory.get(n)),
      [1, 3, 4],
    );
  });

  it('remember a name set again under its new id, once', () => {
    const memory = new RememberedLabels(2);
    memory.set('a', 1);
    memory.set('a', 7);
    assert.equal(memory.size, 1);
    assert.equal(memory.get('a'), 7);
  });
});

for (const backend of await backends()) {
  describe(`${backend.name}: label ids under many distinct tags`, { skip: backend.skip }, () => {
    const fixture = useFixture(backend);

    it('a new tag on every alertgroup keeps the memory bounded and every alertgroup its own tags', async () => {
      const { app } = fixture();
      const memory = rememberedLabels(app.store).tag;
      const first = await ingestAlertgroup(app, as('alice'), {
        subject: 'kept',
        data: [{ a: 1 }],
        tag: ['common', 'first-only'],
      });
      // Fill the memory past its limit without ingesting thousands of alertgroups: the names are
      // remembered under ids no label has, and must be evicted before they are ever looked up.
      for (let i = 0; i < MAX_REMEMBERED_LABELS; i++) memory.set(`filler-${i}`, -1 - i);
      assert.equal(memory.size, MAX_REMEMBERED_LABELS);
      assert.equal(memory.get('first-only'), undefined, 'the oldest names were forgotten');
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        const posted = await ingestAlertgroup(app, as('alice'), {
          subject: `new tag ${i}`,
          data: [{ a: i }],
          tag: ['common', `unique-${i}`],
        });
        ids.push(posted.id);
      }
      assert.equal(memory.size, MAX_REMEMBERED_LABELS);
      const again = await ingestAlertgroup(app, as('alice'), {
        subject: 'again',
        data: [{ a: 9 }],
        tag: ['first-only', 'common'],
      });
      for (const [i, id] of ids.entries())
        assert.deepEqual((await getObject(app, ADMIN, 'alertgroup', id)).tag, ['common', `unique-${i}`]);
      assert.deepEqual([...(await getObject(app, ADMIN, 'alertgroup', again.id)).tag].sort(), ['common', 'first-only']);
      assert.deepEqual([...(await getObject(app, ADMIN, 'alertgroup', first.id)).tag].sort(), ['common', 'first-only']);
    });
  });
}
