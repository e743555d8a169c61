import { performance } from 'node:perf_hooks';

/**
 * How a throttle tells time, and how much of it what background work yields to spent working: the
 * event loop where both share a thread, the writer's time in another thread's hands where they do
 * not. Tests give their own.
 */
export interface ThrottleClock {
  now(): number;
  /** Milliseconds of work since some start (the event loop's working rather than waiting). */
  work(): number;
  /**
   * Whether `work` leaves background work itself out (another thread's use of the writer), so that
   * any stretch of time measures requests; otherwise only stretches without background work do.
   */
  othersOnly?: boolean;
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
export class Throttle {
  private restUntil = 0;
  private readonly waking = new Set<() => void>();
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
    this.quietSince = { at: clock.now(), work: clock.work() };
  }

  /** When a step of background work starts, for `spent`. */
  start(): number {
    const now = this.clock.now();
    if ((this.active++ === 0 || this.clock.othersOnly) && now - this.quietSince.at >= MIN_SAMPLE_MS) {
      this.requestBusy = (this.clock.work() - this.quietSince.work) / (now - this.quietSince.at);
      this.sampledAt = now;
      if (this.clock.othersOnly) this.quietSince = { at: now, work: this.clock.work() };
    }
    return now;
  }

  /** Counts a step of background work that started at `startedAt` and ended now, having done `work` or not. */
  spent(startedAt: number, work = true): void {
    const now = this.clock.now();
    if (--this.active === 0 && !this.clock.othersOnly) this.quietSince = { at: now, work: this.clock.work() };
    if (!work) return;
    if (this.requestBusy >= this.saturated) {
      const rest = Math.min(this.maxRestMs, (now - startedAt) * (1 / this.share - 1));
      this.restUntil = Math.min(Math.max(this.restUntil, now) + rest, now + this.maxRestMs);
    } else if (!this.clock.othersOnly && now - this.sampledAt >= this.probeEveryMs) {
      this.restUntil = Math.max(this.restUntil, now + this.probeMs);
    }
  }

  /** How long background work waits before its next step. */
  delayMs(): number {
    return Math.max(0, this.restUntil - this.clock.now());
  }

  /** Resolves once background work may take its next step, or at once when `release` is called. */
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

  /** Ends every rest: the process is stopping. */
  release(): void {
    this.restUntil = 0;
    for (const wake of [...this.waking]) wake();
  }
}
