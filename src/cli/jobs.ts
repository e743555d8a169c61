import type { Command } from 'commander';
import type { App } from '../app/context.js';
import { jobsOverview, retryJob } from '../app/job.js';
import { AppError } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';

/** Lines of `rows`, each column padded to its widest cell. */
function table(rows: readonly (readonly (string | number)[])[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) =>
    r
      .map((cell, i) => String(cell).padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}

const utc = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** Adds `scot jobs` (queues and recent problems) and `scot jobs retry <id>` to `program`. */
export function addJobsCommand(
  program: Command,
  withApp: <T>(work: (app: App) => Promise<T>) => Promise<T>,
  who: Principal,
): void {
  const jobs = program
    .command('jobs')
    .description('background job queues: pending, running, failed and dead jobs by kind, and the latest failures')
    .action(async () => {
      const { queues, problems } = await withApp((app) => jobsOverview(app, who));
      if (queues.length === 0) {
        console.log('no background jobs yet');
        return;
      }
      const counts = queues.map((q) => [q.kind, q.pending, q.running, q.failed, q.dead, q.done]);
      for (const line of table([['kind', 'pending', 'running', 'failed', 'dead', 'done'], ...counts])) console.log(line);
      if (problems.length === 0) return;
      console.log('\nlatest failed and dead jobs (retry one with `scot jobs retry <id>`):');
      const rows = problems.map((j) => [
        j.id,
        j.kind,
        j.status,
        `${j.attempts}/${j.max_attempts}`,
        utc(j.updated),
        j.last_error ?? '',
      ]);
      for (const line of table([['id', 'kind', 'status', 'attempts', 'when', 'error'], ...rows])) console.log(line);
    });
  jobs
    .command('retry <id>')
    .description('run a failed or dead job again now, with all its attempts')
    .action(async (id: string) => {
      if (!/^\d+$/.test(id)) throw new AppError(400, `job id must be a number, got "${id}"`);
      const job = await withApp((app) => retryJob(app, who, Number(id)));
      console.log(`job ${job.id} (${job.kind}) is pending again`);
    });
}
