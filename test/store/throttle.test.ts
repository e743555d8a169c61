import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Throttle } from '../../src/jobs/throttle.js';

/**
 * A throttle on a clock the test moves. Requests keep the event loop `busy` (0 to 1) while background
 * work rests; a step of background work keeps it fully busy.
 */
function throttled(busy: number) {
  const clock = { at: 1000, work: 0, busy };
  const throttle = new Throttle({ now: () => clock.at, work: () => clock.work }, 0.2, 0.8, 2000, 500, 25);
  /** Time passing with no background work running. */
  const pass = (ms: number) => {
    clock.at += ms;
    clock.work += ms * clock.busy;
  };
  /** One step of background work lasting `ms`. */
  const step = (ms: number, work = true) => {
    const started = throttle.start();
    clock.at += ms;
    clock.work += ms;
    throttle.spent(started, work);
  };
  return { clock, throttle, step, pass };
}

describe('throttle of background work', () => {
  it('lets background work run freely, bar a short rest to measure, while requests leave the event loop time to spare', () => {
    const { throttle, step, pass } = throttled(0.5);
    pass(100);
    step(300);
    assert.equal(throttle.delayMs(), 0, 'just measured: no rest');
    step(300);
    assert.equal(throttle.delayMs(), 25, 'half a second later: a short rest to measure again');
    pass(25);
    step(100);
    assert.equal(throttle.delayMs(), 0);
  });

  it('counts only what requests take: background work keeping the loop busy itself is not held back', () => {
    const { throttle, step, pass } = throttled(0.3);
    for (let i = 0; i < 20; i++) {
      pass(throttle.delayMs());
      step(100);
    }
    assert.ok(throttle.delayMs() <= 25, 'the loop was busy all along, but mostly with background work');
  });

  it('makes background work rest four times its step while requests saturate the event loop, so it takes a fifth', () => {
    const { throttle, step, pass } = throttled(0.95);
    pass(100);
    step(100);
    assert.equal(throttle.delayMs(), 400);
    pass(150);
    assert.equal(throttle.delayMs(), 250, 'the rest counts down');
    pass(250);
    assert.equal(throttle.delayMs(), 0);
  });

  it('runs freely again once requests ease off, measured in its rests', () => {
    const { clock, throttle, step, pass } = throttled(0.95);
    pass(100);
    step(100);
    assert.equal(throttle.delayMs(), 400);
    clock.busy = 0.2;
    pass(400);
    step(100);
    assert.equal(throttle.delayMs(), 0);
  });

  it('rests after steps that did work only: polling an empty log costs no rest', () => {
    const { throttle, step, pass } = throttled(0.95);
    pass(100);
    step(5, false);
    assert.equal(throttle.delayMs(), 0);
  });

  it('never rests longer than its longest rest, so a long step cannot stop background work for long', () => {
    const { throttle, step, pass } = throttled(1);
    pass(100);
    step(1000);
    step(1000);
    assert.equal(throttle.delayMs(), 2000);
  });

  it('ends every rest when released, so the process stops at once', async () => {
    const { throttle, step, pass } = throttled(1);
    pass(100);
    step(400);
    const ready = throttle.ready();
    throttle.release();
    await ready;
    assert.equal(throttle.delayMs(), 0);
  });

  it("measured on another thread's want of the writer, it counts steps too and never rests to measure", () => {
    const clock = { at: 1000, wanted: 0 };
    const throttle = new Throttle({ now: () => clock.at, work: () => clock.wanted, othersOnly: true }, 0.2, 0.8, 2000, 500, 25);
    const step = (ms: number, othersWanted: number) => {
      const started = throttle.start();
      clock.at += ms;
      clock.wanted += othersWanted;
      throttle.spent(started);
    };
    for (let i = 0; i < 10; i++) step(100, 30);
    assert.equal(throttle.delayMs(), 0, 'the other thread wanted the writer 30% of the time: no rest, not even to measure');
    step(100, 95);
    step(100, 95);
    assert.equal(throttle.delayMs(), 400, 'once it wants it 95% of the time, background work takes a fifth');
  });
});
