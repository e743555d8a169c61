import { performance } from 'node:perf_hooks';

/** How a throttle tells time, and how much of it the event loop spent working. Tests give their own. */
export interface ThrottleClock {
  now(): number;
  /** Milliseconds of work since some start (the event loop's working rather than waiting). */
  work(): number;
}

/** What background work asks before and after each step of its own, to yield to requests. */
export interface Throttling {
  /** Resolves once background work may take its next step, or at once when `release` is called. */
  ready(): Promise<void>;
  /** When a step of background work starts, for `spent`. */
  start(): number;
  /** Counts a step of background work that started at `startedAt` and ended now, having done `work` or not. */
  spent(startedAt: number, work?: boolean): void;
  /** How long background work waits before its next step. */
  delayMs(): number;
  /** Ends every rest: the process is stopping. */
  release(): void;
}

/** Rests that background work waits out, each ended early by `release`. */
abstract class Rests implements Throttling {
  protected restUntil = 0;
  private readonly waking = new Set<() => void>();

  constructor(protected readonly now: () => number) {}

  abstract start(): number;
  abstract spent(startedAt: number, work?: boolean): void;

  /** Rests until `until` at the latest, and at least as long as any rest already taken. */
  protected restTill(until: number): void {
    this.restUntil = Math.max(this.restUntil, until);
  }

  /** Rests in proportion to a step of `stepMs`, so that background work takes `share` of the time, but never for over `maxRestMs`. */
  protected restAfter(stepMs: number, share: number, maxRestMs: number): void {
    const now = this.now();
    const rest = Math.min(maxRestMs, stepMs * (1 / share - 1));
    this.restUntil = Math.min(Math.max(this.restUntil, now) + rest, now + maxRestMs);
  }

  delayMs(): number {
    return Math.max(0, this.restUntil - this.now());
  }

  async ready(): Promise<void> {
    const delay = this.delayMs();
    if (delay === 0) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waking.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, delay);
      this.waking.add(wake);
    });
  }

  release(): void {
    this.restUntil = 0;
    for (const wake of [...this.waking]) wake();
  }
}

/** The event loop of this process. */
export const eventLoopClock = (): ThrottleClock => ({
  now: () => performance.now(),
  work: () => performance.eventLoopUtilization().active,
});

/** The shortest stretch without background work that tells how busy requests keep the event loop. */
const MIN_SAMPLE_MS = 10;

/**
 * Background work (flair, search indexing) yields to requests. How busy requests keep the event loop
 * is measured while no background work runs: between steps, and in a short rest taken every
 * `probeEveryMs` when there is no other. While requests leave the loop less than `saturated` busy,
 * background work runs freely in the time they leave (its transactions give the loop a turn every
 * few milliseconds, so requests are still answered at once). While they saturate it, background work
 * takes at most `share` of it, resting after each step in proportion to the step, so ingest keeps
 * the rest; its backlog then grows, and it catches up once the load drops. One throttle is shared by
 * all the consumers of a process, so their shares add up to one.
 */
export class Throttle extends Rests {
  /** Steps of background work in progress. */
  private active = 0;
  /** Since when no background work has run, and how much the loop had worked then. */
  private quietSince: { at: number; work: number };
  /** The share of the event loop requests took when last measured, and when. */
  private requestBusy = 0;
  private sampledAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: ThrottleClock = eventLoopClock(),
    readonly share = 0.2,
    readonly saturated = 0.7,
    /** The longest one rest lasts, so a long step never stops background work for long. */
    readonly maxRestMs = 2000,
    /** How often background work running freely rests to measure the requests' share again. */
    readonly probeEveryMs = 500,
    readonly probeMs = 25,
  ) {
    super(() => clock.now());
    this.quietSince = { at: clock.now(), work: clock.work() };
  }

  start(): number {
    const now = this.clock.now();
    if (this.active++ === 0 && now - this.quietSince.at >= MIN_SAMPLE_MS) {
      this.requestBusy = (this.clock.work() - this.quietSince.work) / (now - this.quietSince.at);
      this.sampledAt = now;
    }
    return now;
  }

  spent(startedAt: number, work = true): void {
    const now = this.clock.now();
    if (--this.active === 0) this.quietSince = { at: now, work: this.clock.work() };
    if (!work) return;
    if (this.requestBusy >= this.saturated) this.restAfter(now - startedAt, this.share, this.maxRestMs);
    else if (now - this.sampledAt >= this.probeEveryMs) this.restTill(now + this.probeMs);
  }
}

/** How a rate throttle tells time, and how much work requests have had done (changes they committed). */
export interface RateClock {
  now(): number;
  /** Work done for requests since some start, in any unit that grows with it (changes committed). */
  done(): number;
}

/** Settings of a `RateThrottle`; tests give shorter ones. */
export interface RateThrottleSettings {
  /** The share of the time background work takes while it costs requests. */
  share: number;
  /** Requests count as held back when they get less done while background work runs than this share of what they get done while it rests. */
  heldBack: number;
  /** The longest one rest lasts, so a long step never stops background work for long. */
  maxRestMs: number;
  /** How long a test lets background work run freely, and then rests it. */
  testRunMs: number;
  testRestMs: number;
  /** How long background work goes on as the last test found before it tests again: running freely, and yielding. */
  freeMs: number;
  yieldingMs: number;
  /** Less done than this in a test's rest says no request was waiting: nothing to yield to. */
  minDone: number;
}

export const RATE_THROTTLE: RateThrottleSettings = {
  share: 0.05,
  heldBack: 0.75,
  maxRestMs: 2000,
  testRunMs: 500,
  testRestMs: 250,
  freeMs: 1000,
  yieldingMs: 5000,
  minDone: 5,
};

/**
 * Background work on a thread of its own yields to requests when it costs them: on SQLite it shares
 * the one writer with them, and on two cores the CPU. How busy requests keep the writer or the event
 * loop cannot tell that: background work running makes requests wait, and waiting requests look as
 * busy when they come at a pace the server has time to spare for as when they come as fast as it
 * answers. What tells is what requests get done with background work running and without it. So it
 * tests, now and then: it runs freely for `testRunMs`, then rests for `testRestMs`, and compares the
 * rates at which requests got work done (`clock.done`). When they got less than `heldBack` of the
 * resting rate done while it ran, they are held back: for the next `yieldingMs` background work
 * takes only `share` of the time, resting after each step in proportion to it, and catches up once
 * the load drops. Otherwise it runs freely for the next `freeMs`, bar the tests' rests.
 */
export class RateThrottle extends Rests {
  private yielding = false;
  /** When the next test starts. */
  private testAt: number;
  /** The test under way: its stage, since when, how much requests had got done then, and the running stage's rate. */
  private test?: { stage: 'run' | 'rest'; at: number; done: number; runRate?: number };

  constructor(
    private readonly clock: RateClock,
    readonly settings: RateThrottleSettings = RATE_THROTTLE,
  ) {
    super(() => clock.now());
    this.testAt = clock.now() + settings.freeMs;
  }

  /** Whether background work now yields to requests, as the last test found. */
  get isYielding(): boolean {
    return this.yielding;
  }

  start(): number {
    const now = this.clock.now();
    const { test } = this;
    if (test?.stage === 'rest' && now >= this.restUntil) {
      const restDone = this.clock.done() - test.done;
      const restRate = restDone / Math.max(1, now - test.at);
      this.yielding = restDone >= this.settings.minDone && test.runRate! < this.settings.heldBack * restRate;
      this.test = undefined;
      this.testAt = now + (this.yielding ? this.settings.yieldingMs : this.settings.freeMs);
    } else if (!test && now >= this.testAt) {
      this.test = { stage: 'run', at: now, done: this.clock.done() };
    }
    return now;
  }

  spent(startedAt: number, work = true): void {
    const now = this.clock.now();
    const { test } = this;
    if (test?.stage === 'run') {
      if (now - test.at < this.settings.testRunMs) return;
      const done = this.clock.done();
      this.test = { stage: 'rest', at: now, done, runRate: (done - test.done) / (now - test.at) };
      this.restTill(now + this.settings.testRestMs);
    } else if (!test && this.yielding && work) {
      this.restAfter(now - startedAt, this.settings.share, this.settings.maxRestMs);
    }
  }
}
