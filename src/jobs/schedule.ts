import { Cron } from 'croner';
import type { App } from '../app/context.js';
import { enqueue } from '../app/job.js';
import { inTransaction } from '../app/unit.js';
import type { Principal } from '../domain/principal.js';
import { advanceSchedule, scheduleDueAt } from '../store/job.js';

/** A job enqueued at the times a cron expression names, in UTC: `0 3,12,20 * * *` is 03:00, 12:00 and 20:00. */
export interface Schedule {
  /** Unique; names the schedule's row and its jobs' keys. */
  name: string;
  cron: string;
  kind: string;
  payload?: unknown;
}

const SCHEDULER: Principal = { userId: 0, username: 'scot:scheduler', groups: [], admin: true };

/**
 * Enqueues each schedule's job once per due time, however many nodes run a Scheduler: the node that
 * moves the schedule's stored due time on enqueues, in the same transaction. A node that was down
 * over several due times enqueues one job for them, not one for each.
 */
export class Scheduler {
  private readonly crons: { schedule: Schedule; cron: Cron }[];

  constructor(
    readonly app: App,
    schedules: readonly Schedule[],
  ) {
    this.crons = schedules.map((schedule) => ({ schedule, cron: new Cron(schedule.cron, { timezone: 'UTC', paused: true }) }));
  }

  /** Enqueues the jobs now due; how many this node enqueued. */
  async tick(): Promise<number> {
    let enqueued = 0;
    for (const { schedule, cron } of this.crons) {
      const now = this.app.now();
      const next = () => Math.floor(cron.nextRun(new Date(now * 1000))!.getTime() / 1000);
      const dueAt = await scheduleDueAt(this.app.store.db, schedule.name, next());
      if (dueAt > now) continue;
      const won = await inTransaction(this.app, SCHEDULER, async (unit) => {
        if (!(await advanceSchedule(unit.db, schedule.name, dueAt, next()))) return false;
        await enqueue(unit, schedule.kind, schedule.payload ?? null, { key: `${schedule.name}@${dueAt}` });
        return true;
      });
      if (won) enqueued++;
    }
    return enqueued;
  }
}
