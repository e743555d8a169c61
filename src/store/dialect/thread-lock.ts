/** `Atomics.waitAsync` (Node 16 and later), which TypeScript's ES2022 library does not declare yet. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(cells: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/** The cells of a lock: the next ticket, the ticket served now, a ticket to pass over; then three per slot. */
const NEXT = 0;
const SERVING = 1;
const SKIP = 2;
const SKIPPING = 3;
const SLOTS_AT = 4;
/** Per slot: whether it holds the lock, whether it waits for it, and its ticket. */
const HELD = 0;
const WAITING = 1;
const TICKET = 2;

/**
 * A lock the threads of one process share through memory, waited for without blocking the event loop.
 * The SQLite writer connections of the main thread and of the background thread take it around each
 * use: they then never meet at SQLite's own write lock, whose wait (`busy_timeout`) holds the event
 * loop. First come, first served, so a thread that takes it again at once cannot starve the other.
 * Each thread takes it in a slot of its own, so that if a thread ends while holding or awaiting the
 * lock, `abandon` hands it on.
 */
export class ThreadLock {
  private readonly cells: Int32Array;

  /** A new lock for `slots` threads, or (given its `buffer`) the lock another thread made. */
  constructor(
    slots = 2,
    readonly buffer = new SharedArrayBuffer((SLOTS_AT + 3 * slots) * Int32Array.BYTES_PER_ELEMENT),
  ) {
    this.cells = new Int32Array(buffer);
  }

  /** Resolves once the thread of `slot` holds the lock. */
  async acquire(slot: number): Promise<void> {
    const at = SLOTS_AT + 3 * slot;
    const ticket = Atomics.add(this.cells, NEXT, 1);
    Atomics.store(this.cells, at + TICKET, ticket);
    Atomics.store(this.cells, at + WAITING, 1);
    for (;;) {
      const serving = Atomics.load(this.cells, SERVING);
      if (serving === ticket) break;
      if (Atomics.load(this.cells, SKIPPING) === 1 && Atomics.load(this.cells, SKIP) === serving) {
        // The ticket served is one an ended thread left: pass it over.
        Atomics.store(this.cells, SKIPPING, 0);
        this.next();
        continue;
      }
      const wait = waitAsync(this.cells, SERVING, serving);
      if (wait.async) await wait.value;
    }
    Atomics.store(this.cells, at + HELD, 1);
    Atomics.store(this.cells, at + WAITING, 0);
  }

  /** Lets the thread of `slot` go of the lock, which goes to the next ticket. */
  release(slot: number): void {
    Atomics.store(this.cells, SLOTS_AT + 3 * slot + HELD, 0);
    this.next();
  }

  /** The thread of `slot` ended: the lock it held, or its place in the queue, goes to the next ticket. */
  abandon(slot: number): void {
    const at = SLOTS_AT + 3 * slot;
    if (Atomics.load(this.cells, at + HELD) === 1) {
      Atomics.store(this.cells, at + HELD, 0);
      this.next();
    } else if (Atomics.load(this.cells, at + WAITING) === 1) {
      Atomics.store(this.cells, at + WAITING, 0);
      Atomics.store(this.cells, SKIP, Atomics.load(this.cells, at + TICKET));
      Atomics.store(this.cells, SKIPPING, 1);
      Atomics.notify(this.cells, SERVING);
    }
  }

  private next(): void {
    Atomics.add(this.cells, SERVING, 1);
    Atomics.notify(this.cells, SERVING);
  }
}
