/**
 * Runs `work` over and over until stopped: again at once while it says there is more to do,
 * otherwise after `pollMs` or as soon as something pokes it.
 */
export class Loop {
  private stopped = false;
  private wake?: () => void;
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly pollMs: number,
    private readonly work: () => Promise<boolean>,
  ) {}

  start(): void {
    this.running = (async () => {
      while (!this.stopped) {
        let more = false;
        try {
          more = await this.work();
        } catch (err) {
          // The database may be restarting: say so, and try again at the next round.
          console.error(`${this.name}: ${(err as Error).message}`);
        }
        if (!more && !this.stopped) await this.nap();
      }
    })();
  }

  /** Ends the current wait, so the work runs again now. */
  readonly poke = () => this.wake?.();

  /** Resolves once the round in progress has ended; no round starts after. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private nap(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
