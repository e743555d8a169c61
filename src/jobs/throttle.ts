import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** How a throttle tells time and how busy the event loop is (0 to 1); tests give their own. */
export interface ThrottleClock {
  now(): number;
  /** The share of the recent past the event loop spent working rather than waiting. */
  busy(): number;
}

/** The event loop of this process, measured over the last `windowMs`. */
export function eventLoopClock(windowMs = 500): ThrottleClock {
  let mark = { at: performance.now(), elu: performance.eventLoopUtilization() };
  let last = 0;
  return {
    now: () => performance.now(),
    busy() {
      const at = performance.now();
      if (at - mark.at >= windowMs) {
        const elu: EventLoopUtilization = performance.eventLoopUtilization();
        last = performance.eventLoopUtilization(elu, mark.elu).utilization;
        mark = { at, elu };
      }
      return last;
    },
  };
}

/**
 * Background work (flair, search indexing) yields to requests: while the event loop is saturated it
 * takes at most `share` of its time, resting after each step in proportion to the step, so ingest
 * keeps the rest; its backlog then grows, and it catches up once the load drops. Below `saturated`
 * it runs freely. One throttle is shared by all the consumers of a process, so their shares add up to one.
 */
export class Throttle {
  private restUntil = 0;
  private readonly waking = new Set<() => void>();

  constructor(
    private readonly clock: ThrottleClock = eventLoopClock(),
    readonly share = 0.2,
    readonly saturated = 0.7,
    /** The longest one rest lasts, so a long step never stops background work for long. */
    readonly maxRestMs = 2000,
  ) {}

  /** When a step of background work starts, for `spent`. */
  start(): number {
    return this.clock.now();
  }

  /** Counts a step of background work that started at `startedAt` and ended now. */
  spent(startedAt: number): void {
    const now = this.clock.now();
    if (this.clock.busy() < this.saturated) return;
    const rest = Math.min(this.maxRestMs, (now - startedAt) * (1 / this.share - 1));
    this.restUntil = Math.max(this.restUntil, now) + rest;
    this.restUntil = Math.min(this.restUntil, now + this.maxRestMs);
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
