import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { App } from '../app/context.js';
import { reflair } from '../app/entity.js';
import { AppError } from '../domain/error.js';
import type { Principal } from '../domain/principal.js';

/** Adds `scot reflair [--type T] [--all]`: re-flairs history in this process, with a progress bar on a terminal. */
export function addReflairCommand(
  program: Command,
  withApp: <T>(work: (app: App) => Promise<T>) => Promise<T>,
  who: Principal,
): void {
  program
    .command('reflair')
    .description('flair stored alerts and entries again: all of them, or those an entity type matches or matched')
    .option('--type <type>', 'only what entity type <type> matches now or matched before')
    .option('--all', 'every alert and entry')
    .action(async (opts: { type?: string; all?: boolean }) => {
      if (Boolean(opts.type) === Boolean(opts.all)) throw new AppError(400, 'give either --type <type> or --all');
      const bar = new cliProgress.SingleBar(
        { format: 'reflair [{bar}] {percentage}% {value}/{total} alerts and entries', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      );
      const flaired = await withApp((app) =>
        reflair(app, who, opts.type ?? null, async (done, total) => {
          if (done === 0) bar.start(total, 0);
          else bar.update(done);
        }),
      ).finally(() => bar.stop());
      console.log(`re-flaired ${flaired} alerts and entries`);
    });
}
