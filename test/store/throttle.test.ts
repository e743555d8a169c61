import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RATE_THROTTLE, RateThrottle, Throttle } from '../../src/jobs/throttle.js';

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
});

/**
 * A rate throttle on a clock the test moves, with background work that always has a step of
 * `stepMs` to take. Requests get `rates.resting` units of work done per ms while background work
 * rests, and `rates.running` while it runs.
 */
function rated(rates: { resting: number; running: number }, stepMs = 50) {
  const clock = { at: 1000, done: 0 };
  const throttle = new RateThrottle({ now: () => clock.at, done: () => clock.done });
  /** Runs background work for `ms` as the throttle lets it; the share of the time it ran, and how much requests got done. */
  const run = (ms: number) => {
    const end = clock.at + ms;
    const before = clock.done;
    let ran = 0;
    while (clock.at < end) {
      const rest = throttle.delayMs();
      clock.at += rest;
      clock.done += rest * rates.resting;
      const started = throttle.start();
      clock.at += stepMs;
      clock.done += stepMs * rates.running;
      ran += stepMs;
      throttle.spent(started);
    }
    return { ran: ran / ms, done: (clock.done - before) / ms };
  };
  return { clock, throttle, run };
}

describe('rate throttle of background work on a thread of its own', () => {
  it('runs freely, bar the rests of its tests, while requests get as much done with it running as without', () => {
    const { throttle, run } = rated({ resting: 10, running: 10 });
    const { ran } = run(20_000);
    assert.equal(throttle.isYielding, false);
    assert.ok(ran > 0.75, `it ran ${ran} of the time`);
  });

  it('yields once requests get less done while it runs, and so leaves them most of what they get done without it', () => {
    const { throttle, run } = rated({ resting: 40, running: 20 });
    run(2_000);
    assert.equal(throttle.isYielding, true, 'the first test found requests held back');
    const { ran, done } = run(20_000);
    assert.equal(throttle.isYielding, true);
    assert.ok(ran < 0.15, `it ran ${ran} of the time`);
    assert.ok(done > 0.9 * 40, `requests got ${done} per ms done, of 40`);
  });

  it('runs freely again once a test finds requests no longer held back', () => {
    const rates = { resting: 40, running: 20 };
    const { throttle, run } = rated(rates);
    run(2_000);
    assert.equal(throttle.isYielding, true);
    rates.running = 40;
    run(RATE_THROTTLE.yieldingMs + RATE_THROTTLE.testRunMs + RATE_THROTTLE.testRestMs + 500);
    assert.equal(throttle.isYielding, false);
    assert.ok(run(10_000).ran > 0.75);
  });

  it('does not yield to requests that are not there', () => {
    const { throttle, run } = rated({ resting: 0, running: 0 });
    run(10_000);
    assert.equal(throttle.isYielding, false);
  });

  it('rests after steps that did work only, while yielding: polling an empty log costs no rest', () => {
    const { clock, throttle, run } = rated({ resting: 40, running: 20 });
    run(2_000);
    assert.equal(throttle.isYielding, true);
    clock.at += throttle.delayMs();
    const started = throttle.start();
    clock.at += 5;
    throttle.spent(started, false);
    assert.equal(throttle.delayMs(), 0);
  });

  it('never rests longer than its longest rest while yielding, and ends every rest when released', async () => {
    const { throttle, run } = rated({ resting: 40, running: 20 }, 1000);
    run(3_000);
    assert.equal(throttle.isYielding, true);
    assert.ok(throttle.delayMs() <= RATE_THROTTLE.maxRestMs);
    assert.ok(throttle.delayMs() > 0);
    const ready = throttle.ready();
    throttle.release();
    await ready;
    assert.equal(throttle.delayMs(), 0);
  });
});
