import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Throttle } from '../../src/jobs/throttle.js';

/** A throttle on a clock the test moves, with an event loop as busy as the test says. */
function throttled(busy: number) {
  const clock = { at: 1000, busy };
  const throttle = new Throttle({ now: () => clock.at, busy: () => clock.busy }, 0.2, 0.8, 2000);
  /** One step of background work lasting `ms`. */
  const step = (ms: number) => {
    const started = throttle.start();
    clock.at += ms;
    throttle.spent(started);
  };
  return { clock, throttle, step };
}

describe('throttle of background work', () => {
  it('lets background work run freely while the event loop has time to spare', () => {
    const { throttle, step } = throttled(0.5);
    step(300);
    assert.equal(throttle.delayMs(), 0);
  });

  it('makes background work rest four times its step while requests saturate the event loop, so it takes a fifth', () => {
    const { clock, throttle, step } = throttled(0.95);
    step(100);
    assert.equal(throttle.delayMs(), 400);
    clock.at += 150;
    assert.equal(throttle.delayMs(), 250, 'the rest counts down');
    clock.at += 250;
    assert.equal(throttle.delayMs(), 0);
  });

  it('never rests longer than its longest rest, so a long step cannot stop background work for long', () => {
    const { throttle, step } = throttled(1);
    step(1000);
    step(1000);
    assert.equal(throttle.delayMs(), 2000);
  });

  it('ends every rest when released, so the process stops at once', async () => {
    const { throttle, step } = throttled(1);
    step(400);
    const ready = throttle.ready();
    throttle.release();
    await ready;
    assert.equal(throttle.delayMs(), 0);
  });
});
