import type { Command } from 'commander';
import type { App } from '../app/context.js';
import { reindexSearch, searchStatus } from '../app/search.js';
import type { Principal } from '../domain/principal.js';

/** Characters of the progress bar. */
const BAR_WIDTH = 30;

/** One line of progress, redrawn in place on a terminal. */
function progressLine(done: number, total: number, startedMs: number): string {
  const share = total === 0 ? 1 : done / total;
  const filled = Math.round(share * BAR_WIDTH);
  const rate = Math.round(done / Math.max((Date.now() - startedMs) / 1000, 0.001));
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% ${done}/${total} objects, ${rate}/s`;
}

/** Adds `scot search reindex` and `scot search status` to `program`. */
export function addSearchCommand(
  program: Command,
  withApp: <T>(work: (app: App) => Promise<T>) => Promise<T>,
  who: Principal,
): void {
  const search = program.command('search').description('the full-text search index');
  search
    .command('reindex')
    .description('rebuild the search index from the stored objects while the server runs, and swap it in at the end')
    .action(async () => {
      const started = Date.now();
      const tty = process.stderr.isTTY;
      let lastPrinted = 0;
      const { documents } = await withApp((app) =>
        reindexSearch(app, who, (done, total) => {
          // On a terminal the bar redraws in place; in a log, a line every tenth.
          if (tty) process.stderr.write(`\r${progressLine(done, total, started)}`);
          else if (done === total || done - lastPrinted >= total / 10) {
            lastPrinted = done;
            process.stderr.write(`${progressLine(done, total, started)}\n`);
          }
        }),
      );
      if (tty) process.stderr.write('\n');
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `search index rebuilt: ${documents} documents in ${seconds.toFixed(1)} s (${Math.round(documents / Math.max(seconds, 0.001))}/s)`,
      );
    });
  search
    .command('status')
    .description('documents in the search index and how many changes it is behind')
    .action(async () => {
      const status = await withApp((app) => searchStatus(app, who));
      console.log(`documents: ${status.documents}`);
      console.log(`lag: ${status.lag} (indexed up to change ${status.seq} of ${status.head})`);
    });
}
